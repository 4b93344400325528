package dev.lifeline.demo.client;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.demo.common.DemoLogging;
import dev.lifeline.demo.common.DemoStores;
import dev.lifeline.demo.common.Units;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.StoreLockedException;
import dev.lifeline.testing.Chaos;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Runs one command against the server the way every subcommand needs it: open the client's own
 * store, connect, do the job (a file or tree transfer, a listing), report, and turn every failure
 * into one line on stderr and its exit code.
 */
final class TransferRunner {
  /** Demo reconnect pacing: quick first retries, a restarting server is back within seconds. */
  static final Duration INITIAL_BACKOFF = Duration.ofMillis(100);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
  static final Duration RECONNECT_DEADLINE = Duration.ofMinutes(5);
  /**
   * The sender keeps unacknowledged chunks in the replay buffer until the receiver's checkpoint
   * (every 16 MiB or second) acknowledges them; it must hold more than one checkpoint interval
   * plus what is in flight, or the sender waits on every checkpoint (docs/transfer.md).
   */
  static final long REPLAY_BUFFER_BYTES = 64L << 20;
  /** How long the client's store keeps an interrupted transfer it could continue. */
  static final Duration STATE_TTL = Duration.ofDays(7);
  /**
   * The client's store compacts after this much journal: every start replays what was written
   * since the last snapshot (a 1 GiB download writes ~8 KB, a small one ~0.5 KB), and the store's
   * default of 64 MiB would make each start pay seconds for it. With finished transfers deleted
   * the snapshot is a 28-byte flat file, so compacting this often is cheap (docs/store.md).
   */
  static final long STATE_SNAPSHOT_AFTER_BYTES = 256 << 10;

  /** The transfer itself: an upload or a download on a ready client. */
  interface Transfer {
    TransferResult run(FileTransferClient transfers, TransferListener listener)
        throws TransferException, InterruptedException;
  }

  /**
   * Any job on a ready client: it prints its own results and returns the exit code; a
   * {@link TransferException} it throws becomes one line on stderr and its reason's code.
   */
  interface Job {
    int run(FileTransferClient transfers) throws TransferException, InterruptedException;
  }

  private final PrintStream out;
  private final PrintStream err;

  TransferRunner(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs one file's {@code transfer}; returns the process exit code (see {@link ExitCodes}). */
  int run(ConnectionOptions o, String verb, Transfer transfer) throws InterruptedException {
    return run(o, verb, (Job) transfers -> {
      TransferResult result;
      try (ProgressReporter progress =
          new ProgressReporter(err, !o.json && ProgressReporter.onTerminal(), verb)) {
        result = transfer.run(transfers, progress);
      }
      out.println(o.json ? result.toJson() : summary(verb, result));
      out.flush();
      return ExitCodes.OK;
    });
  }

  /**
   * Runs {@code job}; returns the process exit code (see {@link ExitCodes}).
   *
   * @param verb what the job is called in error messages: "upload", "download", "list"
   */
  int run(ConnectionOptions o, String verb, Job job) throws InterruptedException {
    if (o.verbose.length > 0) {
      DemoLogging.setRootLevel(o.verbose.length == 1 ? "INFO" : "DEBUG");
    }
    if (!Files.isRegularFile(o.ca) || !Files.isReadable(o.ca)) {
      return fail(ExitCodes.LOCAL_SETUP, "--ca: " + o.ca + " is not a readable file");
    }
    CheckpointStore store;
    try {
      store = openState(o.stateDir());
    } catch (StoreLockedException e) {
      return fail(ExitCodes.LOCAL_SETUP, "--state " + o.stateDir() + " is in use by another "
          + "client-demo (one at a time per state directory; give each a different --state)");
    } catch (StoreException e) {
      return fail(ExitCodes.LOCAL_SETUP, "--state: " + e.getMessage());
    }
    try (store) {
      Chaos chaos = o.chaos == null ? null : Chaos.of(o.chaos);
      LifelineClient client;
      try {
        client = newClient(o, store, chaos);
      } catch (IOException e) {
        return fail(ExitCodes.LOCAL_SETUP, "--ca: " + e.getMessage());
      }
      try (client) {
        return runJob(o, verb, job, client);
      } finally {
        if (chaos != null) {
          err.println("client-demo: chaos cut the connection " + chaos.cuts()
              + " time(s)");
        }
      }
    }
  }

  private int runJob(ConnectionOptions o, String verb, Job job, LifelineClient client)
      throws InterruptedException {
    try {
      return job.run(new FileTransferClient(client, o.server.toString()));
    } catch (TransferException e) {
      return fail(ExitCodes.of(e.reason()), verb + " failed: " + e.getMessage() + " ["
          + e.reason() + ": " + ExitCodes.describe(e.reason()) + "]");
    }
  }

  private static ClientTlsConfig tlsConfig(ConnectionOptions o) {
    ClientTlsConfig.Builder b = ClientTlsConfig.builder().trustedCa(o.ca);
    return (o.tlsGroups == null ? b : b.keyExchangeGroups(o.tlsGroups.split(","))).build();
  }

  private static LifelineClient newClient(ConnectionOptions o, CheckpointStore store, Chaos chaos)
      throws IOException {
    LifelineClient.Builder b = LifelineClient.builder()
        .server(o.server.host(), o.server.port())
        .tls(tlsConfig(o))
        .store(store)
        .idleTimeout(o.idleTimeout)
        .replayBufferBytes(REPLAY_BUFFER_BYTES)
        .reconnect(INITIAL_BACKOFF, MAX_BACKOFF, RECONNECT_DEADLINE);
    if (chaos != null) {
      chaos.install(b);
    }
    return b.build();
  }

  /** Opens (creating if needed) the client's own store of interrupted transfers. */
  static CheckpointStore openState(Path dir) throws StoreException {
    return DemoStores.open(dir, STATE_TTL, STATE_SNAPSHOT_AFTER_BYTES);
  }

  /** The line a person reads when --json was not asked for. */
  static String summary(String verb, TransferResult r) {
    double mibPerSecond = r.seconds() > 0 ? r.bytes() / r.seconds() / (1 << 20) : 0;
    return String.format(Locale.ROOT,
        "%sed %s: %s in %.1f s (%.1f MiB/s), sha256 %s verified; %d reconnect(s), "
            + "TLS %d full / %d resumed, %s resent%s",
        verb.equals("upload") ? "upload" : "download", r.name(), Units.formatBytes(r.bytes()),
        r.seconds(), mibPerSecond, r.sha256(), r.reconnects(), r.tlsFull(), r.tlsResumed(),
        Units.formatBytes(r.resentBytes()),
        r.resumedFromOffset() > 0
            ? ", continued from " + Units.formatBytes(r.resumedFromOffset()) : "");
  }

  private int fail(int code, String message) {
    err.println("client-demo: " + message);
    return code;
  }

  /** The absolute, normalized form: part of the resume key, so it must not depend on the cwd. */
  static Path canonical(Path file) {
    return file.toAbsolutePath().normalize();
  }
}
