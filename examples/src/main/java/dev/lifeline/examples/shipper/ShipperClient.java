package dev.lifeline.examples.shipper;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionRefusedException;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.StoreException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The sending half of the telemetry shipper, and the point of the example: the library does the
 * durable work. Every record goes into the session's durable outbox in the client's store (fsync'd
 * before it goes on the wire); after this process is killed, opening the same session again sends
 * whatever the server has not acknowledged, and {@link Session#handedOver()} says where to go on.
 * The server acknowledges a record only once it is on its disk, so the last send's future
 * completing means every record is stored.
 *
 * <pre>{@code
 * try (CheckpointStore store = FileCheckpointStore.open(stateDir);
 *     LifelineClient client = LifelineClient.builder()
 *         .server("127.0.0.1", 7443)
 *         .tls(ClientTlsConfig.builder().trustedCa(caPem).build())
 *         .store(store)
 *         .durableOutbox(true)
 *         .build()) {
 *   Session session = client.open("shipper", new SessionHandler.SendOnly() {}).get();
 *   CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
 *   for (long n = session.handedOver() + 1; n <= records; n++) {
 *     last = session.send(Records.line(n, 200)); // waits while the replay buffer is full
 *   }
 *   last.get();                                  // the server stored them all
 *   session.close(Duration.ofSeconds(30)).get(); // waits for every acknowledgement too
 * }
 * }</pre>
 */
public final class ShipperClient {
  /** The one session of a state directory: one job per --state. */
  static final String RESUME_KEY = "shipper";
  /** Ending the session waits this long for acknowledgements still on their way. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  /** What {@link ShipperClientCommand} parsed and checked. */
  record Settings(String host, int port, Path ca, long records, int recordBytes,
      Duration idleTimeout, Duration reconnectDeadline, boolean newSession) {}

  /** What one run did. */
  record Result(long continuedAfter, long sentNow, long reconnects, double seconds) {}

  /** A failure the command turns into an exit code and one line. */
  static final class ShipperException extends Exception {
    private static final long serialVersionUID = 1L;
    final int exitCode;

    ShipperException(int exitCode, String message, Throwable cause) {
      super(message, cause);
      this.exitCode = exitCode;
    }
  }

  private final Settings settings;
  private final CheckpointStore store;
  private final DoneMark done;

  ShipperClient(Settings settings, CheckpointStore store, DoneMark done) {
    this.settings = settings;
    this.store = store;
    this.done = done;
  }

  /** Sends records 1..N, continuing where an earlier run of this state directory stopped. */
  Result ship() throws ShipperException, InterruptedException {
    long start = System.nanoTime();
    try (LifelineClient client = newClient()) {
      Session session = open(client);
      long handedOver = session.handedOver();
      if (handedOver > settings.records()) {
        throw new ShipperException(ShipperExitCodes.STATE_MISMATCH, "--state holds a job that "
            + "already handed over " + handedOver + " records, more than --records "
            + settings.records() + "; use another --state for another job", null);
      }
      CompletableFuture<Void> last = sendFrom(session, handedOver + 1);
      finish(session, last);
      return new Result(handedOver, settings.records() - handedOver,
          session.stats().reconnects(), (System.nanoTime() - start) / 1e9);
    } catch (IOException e) {
      throw new ShipperException(ShipperExitCodes.LOCAL_SETUP, "--ca: " + e.getMessage(), e);
    }
  }

  /**
   * Ends the session on both sides once everything sent is acknowledged: the server forgets it
   * and the client's store drops it and its (then empty) outbox.
   */
  private void close(Session session) throws ShipperException, InterruptedException {
    try {
      session.close(CLOSE_TIMEOUT).get();
    } catch (ExecutionException e) {
      throw failure(session, e.getCause());
    }
  }

  private LifelineClient newClient() throws IOException {
    return LifelineClient.builder()
        .server(settings.host(), settings.port())
        .tls(ClientTlsConfig.builder().trustedCa(settings.ca()).build())
        .store(store)
        .durableOutbox(true)
        .idleTimeout(settings.idleTimeout())
        // Quick first retries: a restarted server is back within a second or two.
        .reconnect(Duration.ofMillis(100), Duration.ofSeconds(2), settings.reconnectDeadline())
        .build();
  }

  private Session open(LifelineClient client) throws ShipperException, InterruptedException {
    // Send only: a message from the server (which sends none) would end the session.
    SessionHandler handler = new SessionHandler.SendOnly() {};
    try {
      return client.open(RESUME_KEY, handler).get();
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof SessionRefusedException) || !settings.newSession()) {
        throw failure(null, e.getCause());
      }
    }
    // The user's explicit choice (--new-session): the outbox's records not yet acknowledged go
    // first, and the server drops those its producer record says it already stored.
    try {
      return client.openNew(RESUME_KEY, handler).get();
    } catch (ExecutionException e) {
      throw failure(null, e.getCause());
    }
  }

  /**
   * Sends records {@code first}..N; returns the last one's future, or null if there was none.
   * Blocks while the replay buffer is full: the server's checkpoints pace the loop.
   */
  private CompletableFuture<Void> sendFrom(Session session, long first)
      throws ShipperException, InterruptedException {
    CompletableFuture<Void> last = null;
    for (long n = first; n <= settings.records(); n++) {
      try {
        last = session.send(Records.line(n, settings.recordBytes()));
      } catch (StreamRewoundException e) {
        // Not with a durable outbox, which resends on its own; kept so that the loop is right
        // for any sender: go on after the server's last durable checkpoint.
        n = e.checkpoint().position();
        last = null;
      } catch (LifelineException e) {
        throw failure(session, e);
      }
    }
    return last;
  }

  /**
   * Waits until the server acknowledged (durably stored) everything handed over, marks the job
   * done in the state directory, and ends the session.
   */
  private void finish(Session session, CompletableFuture<Void> last)
      throws ShipperException, InterruptedException {
    if (last == null) {
      // Nothing new this run: what an earlier run handed over may still be on its way, and
      // only ending the session waits for its acknowledgement. (Killed right after the server
      // forgot the session and before the mark, a re-run is refused: exit REFUSED, not a
      // duplicate.)
      close(session);
      done.write(settings.records());
      return;
    }
    try {
      last.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StreamRewoundException r) {
        finish(session, sendFrom(session, r.checkpoint().position() + 1));
        return;
      }
      throw failure(session, e.getCause());
    }
    // Marked before the session ends: a run killed after this exits 0 at once when run again,
    // instead of being refused a session the server forgot, or starting the job over.
    done.write(settings.records());
    close(session);
  }

  /** Maps why the session failed to the exit code and the sentence a person reads. */
  static ShipperException failure(Session session, Throwable t) {
    Throwable cause = unwrap(t);
    if (session != null && session.closeFuture().isCompletedExceptionally()) {
      cause = unwrap(session.closeFuture().handle((v, e) -> e).join());
    }
    if (cause instanceof SessionRefusedException r) {
      return refused(r);
    }
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof StoreException s) {
        return new ShipperException(ShipperExitCodes.STATE_WRITE_FAILED, "the outbox in --state "
            + "could not be written: " + s.getMessage() + "; the records it holds are kept, "
            + "free space and re-run to continue", s);
      }
    }
    if (cause instanceof LifelineException l) {
      return new ShipperException(ShipperExitCodes.UNREACHABLE, "the server could not be "
          + "reached (" + l.getMessage() + "); every record not yet stored on the server is "
          + "kept in --state, re-run the same command to continue", l);
    }
    return new ShipperException(ShipperExitCodes.UNEXPECTED, "unexpected error: " + cause,
        cause);
  }

  private static ShipperException refused(SessionRefusedException r) {
    if (r.code() == dev.lifeline.ErrorCode.APPLICATION_ERROR) {
      return new ShipperException(ShipperExitCodes.SERVER_FAILED, "the server ended the session: "
          + r.getMessage() + " (see the server's log)", r);
    }
    return new ShipperException(ShipperExitCodes.REFUSED, "the server refused to resume this "
        + "job's session (" + r.getMessage() + "), so nothing was sent. If the session expired "
        + "there, re-run with --new-session to go on in a new one: the server recognises the "
        + "records it already stored by this client's producer identity. If the server lost its "
        + "data (its --data-dir was replaced or restored from an older copy), it cannot tell "
        + "which records it holds: ship them all again as a new job with a new --state (and a "
        + "new --out on the server)", r);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof ExecutionException || c instanceof CompletionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
