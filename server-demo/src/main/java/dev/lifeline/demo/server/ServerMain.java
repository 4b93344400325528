package dev.lifeline.demo.server;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.demo.common.DemoLogging;
import dev.lifeline.demo.common.NettyDefaults;
import dev.lifeline.demo.common.Units;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import dev.lifeline.http.Access;
import dev.lifeline.store.redis.RedisCheckpointStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code server-demo.jar}: a Lifeline file server. Prints {@code listening on HOST:PORT} on
 * stdout once it accepts connections (scripts wait for that line), logs to stderr, and stops
 * cleanly on SIGTERM or Ctrl-C. See {@code docs/demo.md}.
 */
@Command(name = "server-demo", mixinStandardHelpOptions = true, version = "server-demo 0.1",
    sortOptions = false,
    description = "Serves resumable, verified file uploads and downloads over TLS.%n"
        + "Prints 'listening on HOST:PORT' on stdout once ready; logs go to stderr.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:stopped normally (143 after SIGTERM, 130 after Ctrl-C: also clean)",
        "1:unexpected error (a bug; run with -v)",
        "2:bad arguments",
        "3:cannot start: certificate, key, data directory, store or port unusable"})
public final class ServerMain implements Callable<Integer> {
  /** Startup failed for a reason outside the command line syntax; the message names it. */
  static final int EXIT_CANNOT_START = 3;
  /** The --store forms, for usage errors; as in DESIGN.md's command-line contract. */
  private static final String STORE_FORMS =
      "file, redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT...]";

  @Spec CommandSpec spec;

  @Option(names = "--port", required = true, paramLabel = "PORT",
      description = "Port to listen on (0: any free port).")
  int port;

  @Option(names = "--data-dir", required = true, paramLabel = "DIR",
      description = "Where certificates, sessions and files live; created if missing.")
  Path dataDir;

  @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
      description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--cert", paramLabel = "FILE",
      description = "PEM certificate chain; with --key. Without both, a development CA and "
          + "certificate are created under DIR/tls/ (clients trust DIR/tls/ca.pem).")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE", description = "PEM private key of --cert.")
  Path key;

  @Option(names = "--idle-timeout", defaultValue = "10s", paramLabel = "DURATION",
      description = "Close a connection that delivered nothing this long (default: "
          + "${DEFAULT-VALUE}; e.g. 500ms, 2s, 1m).")
  Duration idleTimeout;

  @Option(names = "--store", defaultValue = "file", paramLabel = "STORE",
      description = "'file' (default): the embedded crash-safe store under DIR/sessions. "
          + "redis://HOST:PORT (or rediss://, redis://:PASSWORD@HOST:PORT): a Redis shared "
          + "by several servers with the same DIR. "
          + "redis-cluster://HOST:PORT[,HOST:PORT...] (or rediss-cluster://, "
          + "redis-cluster://:PASSWORD@...): a Redis Cluster, given by some of its nodes, "
          + "shared the same way. Every Redis node must run with appendonly yes and "
          + "appendfsync always (docs/deployment.md).")
  String store;

  @Option(names = "--max-file-size", defaultValue = "10G", paramLabel = "SIZE",
      converter = Cli.SizeConverter.class,
      description = "Largest upload accepted (default: ${DEFAULT-VALUE}; e.g. 8M, 1G).")
  long maxFileSize;

  @Option(names = "--session-ttl", defaultValue = "24h", paramLabel = "DURATION",
      description = "How long an interrupted transfer can be resumed; its partial upload is "
          + "deleted after that (default: ${DEFAULT-VALUE}).")
  Duration sessionTtl;

  @Option(names = "--status-access", defaultValue = "loopback", paramLabel = "WHO",
      description = "Who may read the status page (/) and /metrics over HTTPS on the same port: "
          + "loopback (default), certificate (clients with a certificate), any, none. "
          + "Downloads (/files/NAME) are open to the same clients as the Lifeline protocol.")
  String statusAccess;

  @Option(names = "--max-connections", defaultValue = "10000", paramLabel = "N",
      description = "Connections held at once; more are closed as soon as they are accepted, "
          + "before TLS (default: ${DEFAULT-VALUE}; keep ulimit -n above it).")
  int maxConnections;

  @Option(names = "--max-connections-per-source", defaultValue = "1000", paramLabel = "N",
      description = "Connections one source (IPv4 address or IPv6 /64) may hold at once; more "
          + "are reset at accept (default: ${DEFAULT-VALUE}). Behind a load balancer that "
          + "connects from its own address, set it to --max-connections.")
  int maxConnectionsPerSource;

  @Option(names = "--max-handshakes-per-source", defaultValue = "128", paramLabel = "N",
      description = "Unfinished TLS handshakes one source may hold at once; more are reset at "
          + "accept (default: ${DEFAULT-VALUE}).")
  int maxHandshakesPerSource;

  @Option(names = "--tls-groups", paramLabel = "LIST", converter = Cli.TlsGroupsConverter.class,
      description = "TLS key-exchange groups to accept, in order of preference, separated by "
          + "',' or ':' (like OpenSSL's -groups and nginx's ssl_ecdh_curve): X25519MLKEM768, "
          + "x25519, secp256r1, secp384r1, secp521r1. Default: the TLS provider's list, with "
          + "BoringSSL the post-quantum hybrid X25519MLKEM768 first. 'x25519' makes each "
          + "handshake cheaper and gives up post-quantum protection (docs/tls.md).")
  String tlsGroups; // checked and normalised by the converter: names separated by ','


  @Option(names = "-v", description = "Log at DEBUG level.")
  boolean verbose;

  private final PrintStream out;
  private final PrintStream err;
  private final CountDownLatch stopped = new CountDownLatch(1);

  ServerMain(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    DemoLogging.useDefaults("INFO");
    NettyDefaults.apply();
    System.exit(run(args, System.out, System.err));
  }

  /** Parses {@code args}, then serves until the JVM shuts down; returns the exit code. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    ServerMain main = new ServerMain(out, err);
    return Cli.configure(new CommandLine(main), "server-demo", out, err).execute(args);
  }

  @Override
  public Integer call() throws InterruptedException {
    DemoServer.Settings settings = settings();
    if (verbose) {
      DemoLogging.setRootLevel("DEBUG");
    }
    DemoServer server;
    try {
      server = DemoServer.start(settings);
    } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
      // One line, whatever the cause: Lettuce's cluster errors, for one, list a line per node.
      err.println("server-demo: cannot start: "
          + String.valueOf(e.getMessage()).strip().replaceAll("\\s*\\R\\s*", " "));
      return EXIT_CANNOT_START;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "server-demo-shutdown"));
    out.println("listening on " + server.address());
    out.flush();
    // Serves until SIGTERM/SIGINT: the shutdown hook closes the server and the store.
    stopped.await();
    return 0;
  }

  /**
   * A Redis URI is checked by the store's builder, which parses it without connecting: a
   * mistyped seed list is then a usage error (exit 2) instead of an unreachable node (exit 3),
   * and the store's parser stays the one authority on the forms.
   */
  private void checkStore() {
    if (store.equals("file")) {
      return;
    }
    if (!store.matches("rediss?(-cluster)?://.*")) {
      // The password, if any, stays out of the message (it may end up in a log).
      throw Cli.usageError(spec, "--store: '" + store.replaceFirst("://.*@", "://***@")
          + "' (expected: " + STORE_FORMS + ")");
    }
    try {
      RedisCheckpointStore.builder(store);
    } catch (IllegalArgumentException e) {
      throw Cli.usageError(spec, "--store: " + e.getMessage()); // never repeats the URI
    }
  }

  /** Checks what picocli cannot: options that only make sense together, and --store. */
  private DemoServer.Settings settings() {
    if ((cert == null) != (key == null)) {
      throw Cli.usageError(spec, cert == null
          ? "--key given without --cert (expected: both or neither)"
          : "--cert given without --key (expected: both or neither)");
    }
    if (port < 0 || port > 65535) {
      throw Cli.usageError(spec, "--port: " + port + " (expected: 0..65535)");
    }
    checkStore();
    if (maxFileSize < 1) {
      throw Cli.usageError(spec, "--max-file-size: " + maxFileSize + " (expected: "
          + Units.SIZE_FORM + ", at least 1)");
    }
    if (maxConnections < 1) {
      throw Cli.usageError(spec, "--max-connections: " + maxConnections + " (expected: > 0)");
    }
    if (maxConnectionsPerSource < 1) {
      throw Cli.usageError(spec, "--max-connections-per-source: " + maxConnectionsPerSource
          + " (expected: > 0)");
    }
    if (maxHandshakesPerSource < 1) {
      throw Cli.usageError(spec, "--max-handshakes-per-source: " + maxHandshakesPerSource
          + " (expected: > 0)");
    }
    Access access = switch (statusAccess.toLowerCase(java.util.Locale.ROOT)) {
      case "loopback" -> Access.LOOPBACK;
      case "certificate" -> Access.CLIENT_CERTIFICATE;
      case "any" -> Access.ANYONE;
      case "none" -> Access.NOBODY;
      default -> throw Cli.usageError(spec, "--status-access: '" + statusAccess
          + "' (expected: loopback, certificate, any or none)");
    };
    return new DemoServer.Settings(host, port, dataDir, Optional.ofNullable(cert),
        Optional.ofNullable(key), idleTimeout, maxFileSize, sessionTtl, maxConnections,
        maxConnectionsPerSource, maxHandshakesPerSource, access,
        store.equals("file") ? Optional.empty() : Optional.of(store),
        tlsGroups == null ? List.of() : List.of(tlsGroups.split(",")));
  }
}
