package dev.lifeline.examples.shipper;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.demo.common.DemoLogging;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code shipper-server}: receives records from shipper clients and appends each to the
 * {@code --out} file once, durably. Prints {@code listening on HOST:PORT} on stdout once ready,
 * logs to stderr, stops cleanly on SIGTERM; killed, it continues on the same {@code --data-dir}.
 */
@Command(name = "shipper-server", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Appends the records shipper clients send to a file, each exactly once, "
        + "through kills of either side.%n"
        + "Prints 'listening on HOST:PORT' on stdout once ready; logs go to stderr.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:stopped normally (143 after SIGTERM)",
        "1:unexpected error (a bug; run with -v)",
        "2:bad arguments",
        "3:cannot start: data directory, store, out file or port unusable"})
public final class ShipperServerCommand implements Callable<Integer> {
  static final int EXIT_CANNOT_START = 3;

  @Spec CommandSpec spec;

  @Option(names = "--port", required = true, paramLabel = "PORT",
      description = "Port to listen on (0: any free port).")
  int port;

  @Option(names = "--data-dir", required = true, paramLabel = "DIR",
      description = "Sessions (DIR/sessions) and development certificates (DIR/tls; clients "
          + "trust DIR/tls/ca.pem); created if missing.")
  Path dataDir;

  @Option(names = "--out", required = true, paramLabel = "FILE",
      description = "File the records are appended to, one line each.")
  Path out;

  @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
      description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--idle-timeout", defaultValue = "10s", paramLabel = "DURATION",
      description = "Close a connection that delivered nothing this long (default: "
          + "${DEFAULT-VALUE}).")
  Duration idleTimeout;

  @Option(names = "--session-ttl", defaultValue = "24h", paramLabel = "DURATION",
      description = "How long the session of a client that went away is kept for it to resume "
          + "(default: ${DEFAULT-VALUE}); after that the client must choose to start a new one "
          + "(shipper-client --new-session).")
  Duration sessionTtl;

  @Option(names = "-v", description = "Log at DEBUG level.")
  boolean verbose;

  private final PrintStream stdout;
  private final PrintStream err;

  public ShipperServerCommand(PrintStream stdout, PrintStream err) {
    this.stdout = stdout;
    this.err = err;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw Cli.usageError(spec, "--port: " + port + " (expected: 0..65535)");
    }
    if (verbose) {
      DemoLogging.setRootLevel("DEBUG");
    }
    ShipperServer server;
    try {
      server = ShipperServer.start(
          new ShipperServer.Settings(host, port, dataDir, out, idleTimeout, sessionTtl));
    } catch (IOException | UncheckedIOException | IllegalArgumentException
        | IllegalStateException e) {
      err.println("shipper-server: cannot start: " + e.getMessage());
      return EXIT_CANNOT_START;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (IOException e) {
        err.println("shipper-server: closing " + out + ": " + e.getMessage());
      }
      stopped.countDown();
    }, "shipper-server-shutdown"));
    stdout.println("listening on " + server.address());
    stdout.flush();
    stopped.await(); // serves until SIGTERM or Ctrl-C; the hook closes everything
    return 0;
  }
}
