package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.store.SessionTakenException;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.UnknownSessionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits an upload's checkpoints on the server, each once its bytes are durable. A checkpoint the
 * store could not take for a passing reason (a shared store briefly unreachable) is tried again
 * every second until it is stored or a later one replaces it: without that, a client whose replay
 * buffer is full of unacknowledged data would wait for an acknowledgement that nothing triggers
 * any more. A position the session refuses (the stream was rewound meanwhile) is dropped: the
 * rewind's callback, which follows, decides what to commit.
 */
final class UploadCheckpoints {
  private static final Logger log = LoggerFactory.getLogger(UploadCheckpoints.class);

  private final Session session;
  private final TransferService service;
  private final BooleanSupplier receiving;
  private long started; // generation of the last checkpoint started; session thread

  /**
   * @param receiving whether the upload still takes chunks (a retry of a failed or finished
   *     upload's checkpoint is pointless); asked on the session thread
   */
  UploadCheckpoints(Session session, TransferService service, BooleanSupplier receiving) {
    this.session = session;
    this.service = service;
    this.receiving = receiving;
  }

  /** Starts a checkpoint (session thread); the one it returns replaces any retried before. */
  long start() {
    return ++started;
  }

  /** Commits the checkpoint {@code generation} from {@link #start} (any thread). */
  void commit(long seq, byte[] state, long generation) {
    CompletableFuture<Void> stored = ReceivingFile.commit(session, seq, state);
    if (stored == null) {
      return;
    }
    stored.exceptionally(e -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null
          ? e.getCause() : e;
      boolean retry = cause instanceof StoreException
          && !(cause instanceof SessionTakenException)
          && !(cause instanceof UnknownSessionException)
          && !session.closeFuture().isDone();
      log.warn("session {}: checkpoint not stored{}: {}", session.id(),
          retry ? " (retrying in 1 s)" : "", cause.toString());
      if (retry) {
        service.retryLater(session, () -> {
          if (generation == started && receiving.getAsBoolean()
              && !session.closeFuture().isDone()) {
            commit(seq, state, generation);
          }
        }, 1000);
      }
      return null;
    });
  }

  /**
   * Commits the "done" checkpoint of a stored upload. A rewind that reset the stream meanwhile
   * (the client came back from a restart while the file was renamed) makes the session refuse
   * this position; the rewind's callback, which follows, commits it again at its own position.
   * Thrown out of END, that refusal ended the session after the file was stored, without DONE.
   */
  void commitDone(long seq, String name, long size, long mtime, byte[] sha) {
    byte[] state = new TransferState(name, size, mtime, size, sha, sha, true).encode();
    CompletableFuture<Void> stored = ReceivingFile.commit(session, seq, state);
    if (stored != null) {
      stored.exceptionally(e -> {
        log.warn("session {}: done checkpoint not stored: {}", session.id(), e.toString());
        return null;
      });
    }
  }
}
