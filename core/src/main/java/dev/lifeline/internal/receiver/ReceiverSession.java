package dev.lifeline.internal.receiver;

import dev.lifeline.DurableReceiver;
import dev.lifeline.ErrorCode;
import dev.lifeline.Session;
import dev.lifeline.internal.session.SessionCore;
import dev.lifeline.internal.session.SessionEnd;
import dev.lifeline.store.Checkpoint;
import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's part of a {@link DurableReceiver}: its sink, what was written to it since the
 * last checkpoint, and whether the time bound's flush is scheduled.
 *
 * <p>Confined to the session's callback thread: every method but the checkpoint's completion
 * runs in a {@code SessionHandler} callback or a {@link Session#runInOrder} task, which run one
 * at a time, in order, so no field needs a lock. The checkpoint's completion (on the store's
 * thread) touches only the thread-safe counters and the session.
 */
public final class ReceiverSession {
  private static final Logger log = LoggerFactory.getLogger(ReceiverSession.class);

  private final Session session;
  private final DurableReceiver.SinkFactory sinks;
  private final Cadence cadence;
  private final ScheduledExecutorService timer;
  private final ReceiverCounters counters;

  private DurableReceiver.Sink sink; // made at the first callback that needs it
  private long written; // the last sequence written to the sink
  private int pendingMessages; // written since the last checkpoint asked for
  private long pendingBytes;
  private boolean flushScheduled;
  private boolean over; // closed or failed: nothing more reaches the sink

  public ReceiverSession(Session session, DurableReceiver.SinkFactory sinks, Cadence cadence,
      ScheduledExecutorService timer, ReceiverCounters counters) {
    this.session = session;
    this.sinks = sinks;
    this.cadence = cadence;
    this.timer = timer;
    this.counters = counters;
  }

  /** Writes one message, then checkpoints if the cadence says so; see {@code onMessage}. */
  public void message(long seq, ByteBuffer message) throws Exception {
    if (over) {
      throw new IllegalStateException("session " + session.id()
          + ": message " + seq + " after the durable receiver failed");
    }
    int length = message.remaining(); // before the sink consumes the buffer
    sink().write(seq, message);
    written = seq;
    pendingMessages++;
    pendingBytes += length;
    counters.messages.increment();
    counters.bytes.add(length);
    if (pendingMessages >= cadence.messages()) {
      checkpoint(counters.byMessages);
    } else if (pendingBytes >= cadence.bytes()) {
      checkpoint(counters.byBytes);
    } else if (!flushScheduled) {
      // The first message not yet covered: bound how long it may wait for more. A flush already
      // scheduled (for an earlier batch) comes sooner, so it bounds this message as well.
      flushScheduled = true;
      timer.schedule(() -> session.runInOrder(this::timeUp), cadence.nanos(),
          TimeUnit.NANOSECONDS);
    }
  }

  /**
   * The stream went back to {@code checkpoint}: the sink discards what followed it. On a failure
   * the session ends, since later messages would land after writes that should be gone.
   */
  public void rewind(Checkpoint checkpoint) {
    if (over) {
      return;
    }
    try {
      sink().rewind(checkpoint);
    } catch (Exception | Error e) {
      applicationFailed("rewind to " + checkpoint.position(), e);
      return;
    }
    written = checkpoint.position();
    pendingMessages = 0;
    pendingBytes = 0;
  }

  /** The session is over; the sink hears of it once, if it was ever made. */
  public void closed(Throwable cause) {
    over = true;
    if (sink == null) {
      return;
    }
    try {
      sink.closed(cause);
    } catch (Exception | Error e) {
      log.warn("session {}: durable receiver's sink failed when closed: {}", session.id(),
          e.toString());
    }
  }

  private DurableReceiver.Sink sink() throws Exception {
    if (sink == null) {
      DurableReceiver.Sink made = sinks.open(session);
      if (made == null) {
        throw new IllegalStateException("the durable receiver's SinkFactory returned null for"
            + " session " + session.id() + " (expected: a Sink)");
      }
      sink = made;
    }
    return sink;
  }

  /** The time bound passed for the messages written since the flush was scheduled. */
  private void timeUp() {
    flushScheduled = false;
    if (over || pendingMessages == 0) {
      return;
    }
    try {
      checkpoint(counters.byTime);
    } catch (Exception | Error e) {
      applicationFailed("sync", e);
    }
  }

  /**
   * Makes what was written durable in the sink, then asks the session to store and acknowledge
   * it. The store's fsync is not waited for here: the callback thread goes on with the next
   * messages while it runs, and the peer hears of the checkpoint once it is durable.
   */
  private void checkpoint(LongAdder reason) throws Exception {
    long start = System.nanoTime();
    byte[] state = sink.sync();
    counters.syncNanos.add(System.nanoTime() - start);
    if (state == null) {
      state = new byte[0];
    } else if (state.length > Checkpoint.MAX_STATE_BYTES) {
      throw new IllegalStateException("the durable receiver's Sink.sync() returned "
          + state.length + " bytes of state (expected: <= " + Checkpoint.MAX_STATE_BYTES + ")");
    }
    long position = written;
    reason.increment(); // before asking: the peer may hear of the checkpoint before this returns
    session.checkpoint(position, state).whenComplete((v, e) -> {
      if (e == null) {
        counters.durable.increment();
      } else {
        storeFailed(position, e);
      }
    });
    pendingMessages = 0;
    pendingBytes = 0;
  }

  /**
   * The store could not make a checkpoint durable. The session is given up in this process
   * without deleting its stored record: nothing after the last durable checkpoint was
   * acknowledged, so the peer still holds it, and a resume (once the store takes writes again)
   * continues from that checkpoint without losing or repeating anything.
   */
  private void storeFailed(long position, Throwable e) {
    if (session.closeFuture().isDone()) {
      log.debug("session {}: checkpoint {} not stored, the session had ended: {}", session.id(),
          position, e.toString());
      return;
    }
    counters.failed.increment();
    log.warn("session {}: durable receiver's checkpoint {} could not be stored ({}); giving the"
        + " session up here, it stays resumable from its last durable checkpoint", session.id(),
        position, e.toString());
    if (session instanceof SessionCore core) {
      core.terminate(SessionEnd.ABANDON, ErrorCode.STORE_UNAVAILABLE,
          "checkpoint store failed: " + e, e);
    } else {
      session.abort();
    }
  }

  /**
   * The sink failed outside {@code onMessage} (where the session would end on its own): end it
   * the same way, {@link ErrorCode#APPLICATION_ERROR} with the sink's message.
   */
  private void applicationFailed(String what, Throwable e) {
    over = true;
    log.warn("session {}: durable receiver's sink failed on {}: {}", session.id(), what,
        e.toString());
    if (session instanceof SessionCore core) {
      core.terminate(SessionEnd.TELL_PEER, ErrorCode.APPLICATION_ERROR,
          "application failed: " + e, e);
    } else {
      session.abort();
    }
  }
}
