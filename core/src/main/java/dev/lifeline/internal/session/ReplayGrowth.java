package dev.lifeline.internal.session;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How far the replay buffers of one endpoint's sessions may grow past their initial size: each
 * session up to {@code maxBytes}, all of them together by at most {@code budgetBytes} beyond
 * their initial sizes. A session takes what it grows by from the budget and gives it back when
 * it shrinks or ends, so a server's worst case is {@code sessions x initial + budget}, however
 * many sessions run on long fat paths at once.
 *
 * <p>Thread-safe.
 */
public final class ReplayGrowth {
  private final long initialBytes;
  private final long maxBytes;
  private final AtomicLong available;

  /**
   * @param initialBytes every session's replay buffer starts at this bound
   * @param maxBytes no session's bound grows past this ({@code initialBytes} disables growth)
   * @param budgetBytes what all sessions' growth may add up to
   */
  public ReplayGrowth(long initialBytes, long maxBytes, long budgetBytes) {
    if (initialBytes < 1 || maxBytes < initialBytes || budgetBytes < 0) {
      throw new IllegalArgumentException("initial " + initialBytes + ", max " + maxBytes
          + ", budget " + budgetBytes);
    }
    this.initialBytes = initialBytes;
    this.maxBytes = maxBytes;
    this.available = new AtomicLong(budgetBytes);
  }

  /** What a session's bound may grow to when the builder was not told: 256 MiB. */
  private static final long DEFAULT_MAX_BYTES = 256L << 20;

  /**
   * The builders' settings: {@code maxBytes < 0} (not set) means the larger of {@code
   * initialBytes} and 256 MiB.
   */
  public static ReplayGrowth configured(long initialBytes, long maxBytes, long budgetBytes) {
    return new ReplayGrowth(initialBytes,
        maxBytes < 0 ? Math.max(initialBytes, DEFAULT_MAX_BYTES) : maxBytes, budgetBytes);
  }

  /** A fixed bound: the replay buffer never grows. */
  public static ReplayGrowth fixed(long bytes) {
    return new ReplayGrowth(bytes, bytes, 0);
  }

  long initialBytes() {
    return initialBytes;
  }

  long maxBytes() {
    return maxBytes;
  }

  /** What the budget still holds. */
  public long availableBytes() {
    return available.get();
  }

  /** Takes up to {@code wanted} bytes from the budget; returns how many it got. */
  long take(long wanted) {
    while (true) {
      long have = available.get();
      long got = Math.min(have, wanted);
      if (got <= 0) {
        return 0;
      }
      if (available.compareAndSet(have, have - got)) {
        return got;
      }
    }
  }

  /** Gives back bytes taken earlier. */
  void give(long bytes) {
    if (bytes > 0) {
      available.addAndGet(bytes);
    }
  }
}
