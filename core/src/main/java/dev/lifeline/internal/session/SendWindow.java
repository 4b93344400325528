package dev.lifeline.internal.session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bound of one session's replay buffer, sized to the path's bandwidth-delay product.
 *
 * <p>The replay buffer is also the sender's flow-control window: a message leaves only once the
 * buffer has room, and room comes back one round trip later with the peer's ACK. A window smaller
 * than the bandwidth-delay product leaves the pipe partly empty; on loopback 32 MiB is plenty,
 * across an 80 ms round trip at 500 MB/s it is not (40 MB are in flight). So the bound starts at
 * the configured size and, like TCP's slow start, grows by every byte acknowledged in a round in
 * which it held the sender back (a doubling per round trip, without waiting for the round to
 * end: a 1 GiB download across 200 ms took 1.8 s to go from 64 to 256 MiB when it doubled only
 * at round ends), while three things hold:
 *
 * <ul>
 *   <li>the sender was stopped by the bound in that round ({@link #noRoom}) while everything it
 *       had appended was already written to the connection: the socket (the network) would have
 *       taken more, only the window said no. A slow network or a receiver that stops reading
 *       makes the connection unwritable first, and nothing grows;
 *   <li>the round's delivery rate (bytes acknowledged over the round's time) is at least a fifth
 *       above the last rate that was (or no round was measured yet): a larger window that does
 *       not deliver faster only queues bytes in the network. After two rounds without such a
 *       gain the window stops growing, and starts again when a round beats that rate by a fifth
 *       (a receiver whose JIT warmed up, a path that got faster) or on a new connection. The
 *       comparison is with that fixed rate, not the previous round's, so gains made slowly add
 *       up;
 *   <li>the session's maximum and the endpoint's {@link ReplayGrowth} budget allow it.
 * </ul>
 *
 * <p>A round is one window of acknowledged bytes: when the window is what limits, that is one
 * round trip, the way TCP's slow start counts. After {@value #IDLE_NANOS} ns without being
 * limited, an empty buffer shrinks back to its initial bound and returns what it took to the
 * budget; so does a session that ends ({@link #release}).
 *
 * <p>Not thread-safe: the owning session's lock guards it. Times are passed in (nanoseconds from
 * any fixed origin), so tests drive it without a clock.
 */
final class SendWindow {
  private static final Logger log = LoggerFactory.getLogger(SendWindow.class);
  static final long IDLE_NANOS = 2_000_000_000L;
  private static final double GAIN = 1.2;
  private static final int MAX_FRUITLESS = 2;

  private final ReplayGrowth growth;
  private long limit;

  private long roundStart = Long.MIN_VALUE;
  // A round ends once this many bytes (the bound when it began) were acknowledged.
  private long roundTarget;
  private long roundBytes;
  private boolean limitedThisRound;
  // The delivery rate of the last limited round that was faster than the one before it by GAIN.
  private double referenceRate;
  private int fruitless;
  private long lastLimited = Long.MIN_VALUE;

  SendWindow(ReplayGrowth growth) {
    this.growth = growth;
    this.limit = growth.initialBytes();
  }

  /** Bytes the replay buffer may hold now. */
  long limit() {
    return limit;
  }

  /**
   * A message did not fit. {@code allWritten}: every appended message was already handed to a
   * writable connection, so the window, not the socket, is what stopped the sender.
   */
  void noRoom(long now, boolean allWritten) {
    startRoundIfNone(now);
    if (allWritten) {
      limitedThisRound = true;
      lastLimited = now;
    }
  }

  /** The peer acknowledged {@code bytes}; {@code bufferedAfter} are still unacknowledged. */
  void acked(long now, long bytes, long bufferedAfter) {
    startRoundIfNone(now);
    roundBytes += bytes;
    if (limitedThisRound && fruitless < MAX_FRUITLESS) {
      grow(bytes);
    }
    if (roundBytes >= roundTarget) {
      endRound(now);
    }
    if (bufferedAfter == 0 && limit > growth.initialBytes()
        && (lastLimited == Long.MIN_VALUE || now - lastLimited > IDLE_NANOS)) {
      shrink();
    }
  }

  /** The first round starts at the first event of a path: a sender stopped, or an ACK. */
  private void startRoundIfNone(long now) {
    if (roundStart == Long.MIN_VALUE) {
      roundStart = now;
      roundTarget = limit;
    }
  }

  private void endRound(long now) {
    double rate = roundBytes / (double) Math.max(1, now - roundStart);
    if (limitedThisRound) {
      boolean gained = referenceRate == 0 || rate >= referenceRate * GAIN;
      if (gained) {
        referenceRate = rate;
        fruitless = 0;
      } else {
        fruitless++;
      }
      if (log.isDebugEnabled()) {
        log.debug("replay window {} bytes after a limited round at {} MB/s{}", limit,
            Math.round(rate * 1000), fruitless < MAX_FRUITLESS ? "" : "; stops growing");
      }
    }
    roundStart = now;
    roundTarget = limit;
    roundBytes = 0;
    limitedThisRound = false;
  }

  /** Grows by what was just acknowledged, as TCP's slow start does: a doubling per round. */
  private void grow(long acked) {
    long wanted = Math.min(growth.maxBytes() - limit, acked);
    if (wanted > 0) {
      limit += growth.take(wanted);
    }
  }

  /** A new connection: its path may differ, so growing may pay again. */
  void newPath() {
    fruitless = 0;
    referenceRate = 0;
    roundStart = Long.MIN_VALUE;
    roundBytes = 0;
    limitedThisRound = false;
  }

  private void shrink() {
    release();
    newPath();
  }

  /** The session ended: gives back to the budget whatever the bound grew by. */
  void release() {
    growth.give(limit - growth.initialBytes());
    limit = growth.initialBytes();
  }
}
