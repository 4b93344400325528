package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineException;
import dev.lifeline.store.Outbox;
import dev.lifeline.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's durable outbox: every message the application sends is appended to the store's
 * {@link Outbox} under the session's lock (so in sequence order) and goes on the wire only once
 * the outbox made it durable; the peer's acknowledgements trim it, a rewind resets it, and a
 * process that restarts loads what it holds back into the replay buffer, so the library, not the
 * application, sends again what the peer lacks.
 *
 * <p>Why the gate: were a message written before it is durable, a crash could leave the peer
 * holding a message this side no longer has, and the restarted sender would number its next
 * message the same. Group commit makes the wait one fsync shared by everything sent meanwhile.
 *
 * <p>A failed write (a full disk) ends the session in this process as a crash would, keeping its
 * record: everything acknowledged by the outbox before the failure is sent again by the next
 * process that opens it; nothing partly written is (see {@link Outbox}).
 */
final class SessionOutbox {
  private static final Logger log = LoggerFactory.getLogger(SessionCore.class);

  private final SessionCore session;
  private final OutboundStream out;
  private final Outbox outbox;
  private final AtomicBoolean failed = new AtomicBoolean();
  // The outbox numbers messages across the sessions of one producer: this session's message seq
  // is the outbox's base + seq (0 for the first session; see ClientPersistence).
  private final long base;

  // Ends the session after a failed write, never on the thread that holds the session's lock.
  private final Executor executor;

  SessionOutbox(SessionCore session, OutboundStream out, Outbox outbox, long base,
      Executor executor) {
    this.session = session;
    this.base = base;
    this.executor = executor;
    this.out = out;
    this.outbox = outbox;
    out.gateOnDurability();
  }

  /**
   * Loads what the outbox holds into the outbound stream as its messages from {@code
   * outbox.firstSeq() - base} on; the caller holds the session's lock. For a session restored by
   * a process that did not send them, they are sent again where the peer lacks them; for a new
   * session (a refused resume, an expired record) they are its first messages, and the server
   * drops those it stored in an earlier session (the producer identity). Returns how many.
   */
  int loadLocked() throws StoreException {
    assert Thread.holdsLock(session);
    long first = outbox.firstSeq() - base;
    if (first < 1) {
      throw new StoreException("outbox " + outbox + " holds messages before its session's base "
          + base);
    }
    out.restartAt(first);
    int[] n = {0};
    outbox.read((seq, message) -> {
      ByteBuf copy = Unpooled.buffer(message.remaining());
      copy.writeBytes(message);
      out.append(new ReplayBuffer.Entry(seq - base, copy, new CompletableFuture<>()));
      n[0]++;
    });
    out.restored();
    return n[0];
  }

  /** The stream restarts at {@code nextSeq} (a rewind): whatever the outbox held is dropped. */
  void resetLocked(long nextSeq) {
    assert Thread.holdsLock(session);
    outbox.reset(base + nextSeq).whenComplete((v, e) -> failed(e));
  }

  /** The outbox's number of this session's message 0: its message {@code seq} is base + seq. */
  long base() {
    return base;
  }

  /** The outbox's identity, sent in OPEN so the server can drop what it already stored. */
  byte[] producerId() {
    return outbox.producerId();
  }

  /** Appends the message just added to the stream; the caller holds the session's lock. */
  void appendLocked(ReplayBuffer.Entry e) {
    assert Thread.holdsLock(session);
    long seq = e.seq();
    outbox.append(base + seq, e.payload().nioBuffer()).whenComplete((v, err) -> {
      if (err == null) {
        session.outboxDurable(seq);
      } else {
        failed(err);
      }
    });
  }

  /** The peer acknowledged everything up to {@code seq}. */
  void trim(long seq) {
    outbox.trim(base + seq);
  }

  /** The session ended in this process: {@code forget} removes the outbox with the record. */
  void released(boolean forget) {
    try {
      if (forget) {
        outbox.delete();
      } else {
        outbox.close();
      }
    } catch (StoreException e) {
      log.warn("session {}: could not remove its outbox: {}", session.id(), e.getMessage());
    }
  }

  private void failed(Throwable err) {
    if (err == null || !failed.compareAndSet(false, true)) {
      return; // every append after a failed one fails too: report the first
    }
    Throwable cause = err instanceof CompletionException && err.getCause() != null
        ? err.getCause() : err;
    String reason = "durable outbox write failed: " + cause.getMessage();
    log.error("session {}: {}; the session stops here, what the outbox made durable before is "
        + "sent again by the next process that opens it", session.id(), reason);
    executor.execute(() -> session.terminate(SessionEnd.ABANDON, ErrorCode.INTERNAL_ERROR,
        reason, new LifelineException(reason, cause)));
  }
}
