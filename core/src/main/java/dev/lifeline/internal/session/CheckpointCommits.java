package dev.lifeline.internal.session;

import dev.lifeline.store.Checkpoint;
import java.util.concurrent.CompletableFuture;

/**
 * The application's checkpoints on their way to the store: the {@link InboundStream} checks the
 * position and counts the commit as in flight, the {@link SessionPersistence} commits it, and once
 * it is durable the stream takes it as its last checkpoint and the session writes the ACK it
 * allows. A commit in flight across an inbound rewind delays the rewind's report until it settles
 * (see {@link Resumption#report}).
 *
 * <p>The stream is guarded by the session's monitor (the {@link SessionCore} itself), the one
 * lock of a session's state; the store is called and futures complete only outside it.
 */
final class CheckpointCommits {
  private final SessionCore session;
  private final InboundStream in;
  private final SessionPersistence persistence;

  CheckpointCommits(SessionCore session, InboundStream in, SessionPersistence persistence) {
    this.session = session;
    this.in = in;
    this.persistence = persistence;
  }

  /** See {@link dev.lifeline.Session#checkpoint}. */
  CompletableFuture<Void> commit(long position, byte[] state) {
    Checkpoint cp = Checkpoint.of(position, state);
    CompletableFuture<Void> settled;
    synchronized (session) {
      settled = in.checkpointAsked(position);
    }
    CompletableFuture<Void> durable;
    try {
      durable = persistence.commit(cp);
    } catch (RuntimeException | Error e) {
      settled.complete(null);
      throw e;
    }
    return durable.whenComplete((v, e) -> {
      if (e == null) {
        landed(cp);
      }
      settled.complete(null);
    }).thenRun(session::scheduleWrite);
  }

  /** A checkpoint is durable; see {@link InboundStream#landed}. */
  private void landed(Checkpoint cp) {
    synchronized (session) {
      in.landed(cp);
    }
  }

  /** Completes once every commit asked for so far has settled, landed or failed. */
  CompletableFuture<?> settled() {
    synchronized (session) {
      return in.commitsSettled();
    }
  }
}
