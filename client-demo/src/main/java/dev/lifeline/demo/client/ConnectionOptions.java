package dev.lifeline.demo.client;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.testing.ChaosSpec;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options upload and download share: where the server is, how to trust it, where to keep state. */
final class ConnectionOptions {
  /** Used when --state is not given: one per user, so re-running a command continues it. */
  static final Path DEFAULT_STATE = Path.of(System.getProperty("user.home"), ".lifeline", "client-state");

  @Option(names = "--server", required = true, paramLabel = "HOST:PORT",
      converter = Endpoint.Converter.class, description = "The server-demo to talk to.")
  Endpoint server;

  @Option(names = "--ca", required = true, paramLabel = "PEM",
      description = "CA certificate the server's certificate must chain to "
          + "(for a development server: DATA_DIR/tls/ca.pem).")
  Path ca;

  @Option(names = "--state", paramLabel = "DIR",
      description = "This client's checkpoint store; re-running the same command with the same "
          + "DIR continues an interrupted transfer (default: ~/.lifeline/client-state). "
          + "One client-demo at a time per DIR.")
  Path state;

  @Option(names = "--idle-timeout", defaultValue = "10s", paramLabel = "DURATION",
      description = "Reconnect when nothing arrived this long, e.g. after a silent network "
          + "failure (default: ${DEFAULT-VALUE}; e.g. 500ms, 2s, 1m).")
  Duration idleTimeout;

  @Option(names = "--chaos", paramLabel = "SPEC", converter = ChaosConverter.class,
      description = "Built-in fault injection: cut=MIN..MAX[,mode=rst|fin|blackhole|mix]"
          + "[,count=N] cuts the connection after a random number of bytes in the range, "
          + "N times (e.g. cut=8M..32M,mode=mix,count=6).")
  ChaosSpec chaos;

  @Option(names = "--tls-groups", paramLabel = "LIST", converter = Cli.TlsGroupsConverter.class,
      description = "TLS key-exchange groups to offer, in order of preference, separated by "
          + "',' or ':' (like curl's --curves): X25519MLKEM768, x25519, secp256r1, secp384r1, "
          + "secp521r1. Default: the TLS provider's list, with BoringSSL the post-quantum hybrid "
          + "X25519MLKEM768 first. 'x25519' makes each handshake cheaper and gives up "
          + "post-quantum protection (docs/tls.md).")
  String tlsGroups; // checked and normalised by the converter: names separated by ','


  @Option(names = "--json",
      description = "Print JSON on stdout: one summary line at the end; a tree transfer prints "
          + "a line per file as it finishes first; list prints a line per file.")
  boolean json;

  @Option(names = "-v", description = "Log more: -v INFO, -vv DEBUG (default: warnings only).")
  boolean[] verbose = new boolean[0];

  Path stateDir() {
    return state != null ? state : DEFAULT_STATE;
  }

  /** For picocli: the parser's message already names the spec, the problem and the form. */
  static final class ChaosConverter implements CommandLine.ITypeConverter<ChaosSpec> {
    @Override
    public ChaosSpec convert(String value) {
      try {
        return ChaosSpec.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
