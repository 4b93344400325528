package dev.lifeline.examples.shipper;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.demo.common.DemoLogging;
import dev.lifeline.demo.common.DemoStores;
import dev.lifeline.examples.shipper.ShipperClient.Result;
import dev.lifeline.examples.shipper.ShipperClient.Settings;
import dev.lifeline.examples.shipper.ShipperClient.ShipperException;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.StoreLockedException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code shipper-client}: sends records 1..N to a {@code shipper-server} and exits 0 once every
 * one is durably stored there. Killed at any moment, the same command continues without losing
 * or repeating a record; see {@link ShipperClient} for how, and {@link ShipperExitCodes}.
 */
@Command(name = "shipper-client", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Sends numbered records to a shipper-server, exactly once, through kills of "
        + "either side: re-run the same command with the same --state to continue.",
    exitCodeListHeading = "%nExit codes:%n")
public final class ShipperClientCommand implements Callable<Integer> {
  /** How long the client's store keeps an unfinished job. */
  static final Duration STATE_TTL = Duration.ofDays(7);
  /**
   * Every start replays the journal written since the store's last snapshot; a small bound keeps
   * a re-run's start short (see DemoStores).
   */
  static final long STATE_SNAPSHOT_AFTER_BYTES = 256 << 10;

  @Spec CommandSpec spec;

  @Option(names = "--server", required = true, paramLabel = "HOST:PORT",
      description = "The shipper-server to send to.")
  String server;

  @Option(names = "--ca", required = true, paramLabel = "PEM",
      description = "CA certificate the server's must chain to (DATA_DIR/tls/ca.pem of a "
          + "shipper-server with development certificates).")
  Path ca;

  @Option(names = "--state", required = true, paramLabel = "DIR",
      description = "This job's store: its session and durable outbox. One job and one "
          + "running client per DIR; created if missing.")
  Path state;

  @Option(names = "--records", required = true, paramLabel = "N",
      description = "Send records 1..N.")
  long records;

  @Option(names = "--record-bytes", defaultValue = "" + Records.DEFAULT_BYTES, paramLabel = "B",
      description = "Length of each record's line, newline included (default: ${DEFAULT-VALUE}).")
  int recordBytes;

  @Option(names = "--idle-timeout", defaultValue = "10s", paramLabel = "DURATION",
      description = "Reconnect when nothing arrived this long (default: ${DEFAULT-VALUE}).")
  Duration idleTimeout;

  @Option(names = "--reconnect-deadline", defaultValue = "5m", paramLabel = "DURATION",
      description = "Give up (exit 5) when the server stays unreachable this long "
          + "(default: ${DEFAULT-VALUE}).")
  Duration reconnectDeadline;

  @Option(names = "--new-session",
      description = "If the server refuses to resume this job's session (it expired there), "
          + "start a new one and go on: the server recognises the records it already stored "
          + "by this client's producer identity and stores none twice. Without it a refusal "
          + "exits 4 and nothing is sent.")
  boolean newSession;

  @Option(names = "-v", description = "Log more: -v INFO, -vv DEBUG (default: warnings only).")
  boolean[] verbose = new boolean[0];

  private final PrintStream out;
  private final PrintStream err;

  public ShipperClientCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws InterruptedException {
    Settings settings = settings();
    if (verbose.length > 0) {
      DemoLogging.setRootLevel(verbose.length == 1 ? "INFO" : "DEBUG");
    }
    try {
      return run(settings);
    } catch (ShipperException e) {
      err.println("shipper-client: " + e.getMessage());
      return e.exitCode;
    }
  }

  private int run(Settings settings) throws ShipperException, InterruptedException {
    if (!Files.isRegularFile(ca) || !Files.isReadable(ca)) {
      throw new ShipperException(ShipperExitCodes.LOCAL_SETUP,
          "--ca: " + ca + " is not a readable file", null);
    }
    DoneMark done = new DoneMark(state);
    OptionalLong finished = done.read();
    if (finished.isPresent()) {
      return alreadyFinished(finished.getAsLong());
    }
    try (CheckpointStore store = openState()) {
      Result r = new ShipperClient(settings, store, done).ship();
      out.println(String.format(Locale.ROOT, "stored records 1..%d on %s in %.2f s: %d sent "
          + "by this run%s, %d reconnect(s)", records, server, r.seconds(), r.sentNow(),
          r.continuedAfter() > 0 ? " (continued after record " + r.continuedAfter() + ")" : "",
          r.reconnects()));
      out.flush();
      return ShipperExitCodes.OK;
    }
  }

  private int alreadyFinished(long finishedRecords) throws ShipperException {
    if (finishedRecords != records) {
      throw new ShipperException(ShipperExitCodes.STATE_MISMATCH, "--state " + state
          + " holds a finished job of " + finishedRecords + " records, not " + records
          + "; use another --state for another job", null);
    }
    out.println("stored records 1..%d: finished by an earlier run of this --state, nothing sent"
        .formatted(records));
    out.flush();
    return ShipperExitCodes.OK;
  }

  private CheckpointStore openState() throws ShipperException {
    try {
      return DemoStores.open(state, STATE_TTL, STATE_SNAPSHOT_AFTER_BYTES);
    } catch (StoreLockedException e) {
      throw new ShipperException(ShipperExitCodes.LOCAL_SETUP, "--state " + state + " is in use "
          + "by another shipper-client (one at a time per state directory)", e);
    } catch (StoreException e) {
      throw new ShipperException(ShipperExitCodes.LOCAL_SETUP, "--state: " + e.getMessage(), e);
    }
  }

  /** Checks what picocli cannot; a bad value is a usage error (exit 2) naming the option. */
  private Settings settings() {
    int colon = server.lastIndexOf(':');
    String host = colon > 0 ? server.substring(0, colon).replaceAll("^\\[|\\]$", "") : "";
    int port = -1;
    try {
      port = Integer.parseInt(server.substring(colon + 1));
    } catch (NumberFormatException e) {
      // reported below
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw Cli.usageError(spec, "--server: '" + server
          + "' (expected: HOST:PORT, e.g. 127.0.0.1:7443)");
    }
    if (records < 1) {
      throw Cli.usageError(spec, "--records: " + records + " (expected: >= 1)");
    }
    int min = Records.minBytes(records);
    if (recordBytes < min || recordBytes > Records.MAX_BYTES) {
      throw Cli.usageError(spec, "--record-bytes: " + recordBytes + " (expected: " + min + ".."
          + Records.MAX_BYTES + ", room for the number " + records + " and a newline)");
    }
    return new Settings(host, port, ca, records, recordBytes, idleTimeout, reconnectDeadline,
        newSession);
  }
}
