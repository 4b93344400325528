package dev.lifeline;

import dev.lifeline.internal.receiver.Cadence;
import dev.lifeline.internal.receiver.ReceiverCounters;
import dev.lifeline.internal.receiver.ReceiverSession;
import dev.lifeline.internal.receiver.ReceiverTimer;
import dev.lifeline.store.Checkpoint;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A receiver that acknowledges only what the application made durable, with the checkpoint
 * cadence built in: give it a {@link Sink} per session (where messages go, and how to make them
 * durable) and it does the rest of a durable receiver's loop. It declares auto-acknowledgement
 * off, for new sessions and for sessions restored after a restart alike; writes each message to
 * the sink; every {@code N} messages, {@code B} bytes or {@code T} after the first message not
 * yet covered, whichever comes first, calls {@link Sink#sync()} and commits a checkpoint with the
 * state it returns; and on a rewind (after either side restarted) has the sink discard what
 * followed the checkpoint before any later message arrives.
 *
 * <p>A message is acknowledged to its sender only once the sink's sync covered it and the
 * checkpoint is durable in the endpoint's store, so after a crash of this process the sender
 * still holds every message the sink may have lost and sends it again: nothing is lost, nothing
 * is applied twice.
 *
 * <pre>{@code
 * SessionHandler handler = DurableReceiver.builder(session -> new FileSink(dir, session.id()))
 *     .everyMessages(1_000).everyBytes(1 << 20).every(Duration.ofMillis(5))
 *     .build();
 * LifelineServer server = LifelineServer.builder()...handler(handler).store(fileStore).start();
 *
 * final class FileSink implements DurableReceiver.Sink {
 *   private final FileChannel out;
 *
 *   public void write(long seq, ByteBuffer message) throws IOException {
 *     out.write(message, out.size());            // applied, not yet durable
 *   }
 *
 *   public byte[] sync() throws IOException {
 *     out.force(false);                          // durable up to here
 *     return ByteBuffer.allocate(8).putLong(out.size()).array();
 *   }
 *
 *   public void rewind(Checkpoint checkpoint) throws IOException {
 *     long length = checkpoint.stateLength() == 0 ? 0
 *         : ByteBuffer.wrap(checkpoint.state()).getLong();
 *     out.truncate(length);                      // forget what the checkpoint does not cover
 *   }
 *
 *   public void closed(Throwable cause) throws IOException {
 *     out.close();
 *   }
 * }
 * }</pre>
 *
 * <p><b>The defaults</b> (1,000 messages, 1 MiB, 5 ms) aim at a high rate of small messages with
 * a short tail. A checkpoint costs one {@link Sink#sync()} (an fsync) on the session's callback
 * thread and a share of one group commit in the store; at 500,000 messages a second, 1,000
 * messages is a checkpoint every 2 ms, a few hundred fsyncs a second. 1 MiB bounds the same for
 * large messages, and what the sender must hold and resend after a crash: keep it well below the
 * sender's replay buffer (32 MiB by default), or the sender waits on a full buffer until the time
 * bound passes. 5 ms bounds the wait of a message with no others behind it: it is acknowledged
 * within about 5 ms plus the sink's sync plus the store's fsync. A larger count or byte bound
 * means fewer fsyncs at a high rate; a smaller time bound a shorter tail at a low rate.
 *
 * <p>{@link Sink#sync()} runs on the session's callback thread: while it runs, the session's
 * next messages wait in its inbound queue (the endpoint's {@code inboundQueueBytes}). One session
 * therefore moves at most about {@code everyMessages} (or {@code everyBytes}) per sync: with a
 * 2 ms fsync and the default 1,000 messages, some 500,000 messages a second. Raise the bounds
 * where fsync is slower. The store's fsync of the checkpoint is not waited for.
 *
 * <p>One {@code DurableReceiver} serves any number of sessions, each with its own sink, made on
 * that session's callback thread at its first callback that needs one (on a session restored
 * after a restart, {@link #onInboundRewind}, so {@link Sink#rewind} comes first). Every callback
 * of one sink runs on that session's callback thread, one at a time, so a sink needs no locks.
 */
public final class DurableReceiver implements SessionHandler {

  /**
   * Where one session's messages go. Every method runs on the session's callback thread, one at
   * a time, in the order of the stream. An exception from any of them ends the session with
   * {@link ErrorCode#APPLICATION_ERROR} and the exception's message (except from {@link
   * #closed}, which is only logged).
   */
  public interface Sink {
    /**
     * Applies message {@code seq}; it need not be durable until {@link #sync()}. {@code message}
     * is valid only during this call: copy what you keep.
     */
    void write(long seq, ByteBuffer message) throws Exception;

    /**
     * Makes everything written so far durable (for a file: fsync) and returns the state stored
     * with the checkpoint that covers it, at most {@link Checkpoint#MAX_STATE_BYTES} (for a file:
     * its length). {@code null} is taken as an empty state. The state comes back in {@link
     * #rewind}.
     */
    byte[] sync() throws Exception;

    /**
     * Discards every write after {@code checkpoint}, whose state is what {@link #sync()} returned
     * for it ({@link Checkpoint#NONE}, with an empty state, if none was ever stored). The next
     * message is {@code checkpoint.position() + 1}. On a session restored after a restart of
     * this process this is the first call, before any message.
     */
    default void rewind(Checkpoint checkpoint) throws Exception {}

    /** The session ended: {@code cause} is {@code null} after a normal close. */
    default void closed(Throwable cause) throws Exception {}
  }

  /** Makes the {@link Sink} of one session; may fail, which ends that session. */
  @FunctionalInterface
  public interface SinkFactory {
    /** The sink for {@code session}, called once, on its callback thread. */
    Sink open(Session session) throws Exception;
  }

  /**
   * What a receiver did so far, over all its sessions.
   *
   * @param messages messages written to sinks
   * @param bytes bytes of those messages
   * @param checkpointsByMessages checkpoints asked for because {@code everyMessages} was reached
   * @param checkpointsByBytes checkpoints asked for because {@code everyBytes} was reached
   * @param checkpointsByTime checkpoints asked for because the time bound passed
   * @param checkpointsDurable checkpoints the store made durable
   * @param checkpointsFailed checkpoints the store could not take (each ended its session here)
   * @param syncNanos time spent in {@link Sink#sync()}
   */
  public record Stats(long messages, long bytes, long checkpointsByMessages,
      long checkpointsByBytes, long checkpointsByTime, long checkpointsDurable,
      long checkpointsFailed, long syncNanos) {

    /** Checkpoints asked for, each after one {@link Sink#sync()}. */
    public long checkpoints() {
      return checkpointsByMessages + checkpointsByBytes + checkpointsByTime;
    }
  }

  private final SinkFactory sinks;
  private final Cadence cadence;
  private final ScheduledExecutorService timer;
  private final ReceiverCounters counters = new ReceiverCounters();
  // One entry per session between its first callback and onClosed.
  private final ConcurrentHashMap<Session, ReceiverSession> sessions = new ConcurrentHashMap<>();

  private DurableReceiver(Builder b) {
    this.sinks = b.sinks;
    this.cadence = new Cadence(b.messages, b.bytes, b.every.toNanos());
    this.timer = b.timer != null ? b.timer : ReceiverTimer.shared();
  }

  /** A builder of receivers whose sessions each get a sink from {@code sinks}. */
  public static Builder builder(SinkFactory sinks) {
    return new Builder(sinks);
  }

  /** Always {@code false}: messages are acknowledged through checkpoints only. */
  @Override
  public boolean autoAcknowledge() {
    return false;
  }

  @Override
  public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
    of(session).message(seq, message);
  }

  @Override
  public void onInboundRewind(Session session, Checkpoint checkpoint) {
    of(session).rewind(checkpoint);
  }

  @Override
  public void onClosed(Session session, Throwable cause) {
    ReceiverSession s = sessions.remove(session);
    if (s != null) {
      s.closed(cause);
    }
  }

  /** The counters so far. */
  public Stats stats() {
    return new Stats(counters.messages(), counters.bytes(), counters.byMessages(),
        counters.byBytes(), counters.byTime(), counters.durable(), counters.failed(),
        counters.syncNanos());
  }

  /** Sessions with a sink now (between their first message or rewind and their end). */
  public int sessions() {
    return sessions.size();
  }

  private ReceiverSession of(Session session) {
    return sessions.computeIfAbsent(session,
        s -> new ReceiverSession(s, sinks, cadence, timer, counters));
  }

  /** Configures a {@link DurableReceiver}; every bound is optional. */
  public static final class Builder {
    private final SinkFactory sinks;
    private int messages = 1_000;
    private long bytes = 1 << 20;
    private Duration every = Duration.ofMillis(5);
    private ScheduledExecutorService timer;

    private Builder(SinkFactory sinks) {
      this.sinks = Objects.requireNonNull(sinks, "sinks");
    }

    /** Checkpoints once this many messages arrived since the last one; default 1,000. */
    public Builder everyMessages(int messages) {
      this.messages = ConfigChecks.positive("everyMessages", messages);
      return this;
    }

    /** Checkpoints once this many message bytes arrived since the last one; default 1 MiB. */
    public Builder everyBytes(long bytes) {
      this.bytes = ConfigChecks.atLeast("everyBytes", bytes, 1);
      return this;
    }

    /**
     * Checkpoints at most this long after a message arrived that no checkpoint covers yet, so a
     * lone message is acknowledged without more traffic; default 5 ms.
     */
    public Builder every(Duration every) {
      ConfigChecks.positive("every", every);
      if (every.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("every: " + every + " (expected: <= PT24H)");
      }
      this.every = every;
      return this;
    }

    /**
     * The timer for the time bound; by default one daemon thread shared by every receiver. It
     * only hands the flush to the session's callback thread, so it may be any scheduler, also
     * one a test drives by hand.
     */
    public Builder timer(ScheduledExecutorService timer) {
      this.timer = Objects.requireNonNull(timer, "timer");
      return this;
    }

    /** The receiver; one may serve every session of an endpoint. */
    public DurableReceiver build() {
      return new DurableReceiver(this);
    }
  }
}
