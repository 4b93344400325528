package dev.lifeline.internal.session;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Limits refused open/resume attempts per source address with a token bucket, so guessing tokens
 * costs the guesser time and the server almost nothing: once a source's bucket is empty its
 * attempts are refused before any lookup, and (see {@link #mayExplain}) its connections are
 * closed before the TLS handshake. Successful opens and resumes cost nothing here.
 */
public final class RefusalLimiter {
  private static final int MAX_TRACKED = 100_000;
  private static final long NOTICE_INTERVAL_NANOS = 1_000_000_000L;

  private final double burst;
  private final double perNano;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long updated;
    long lastNotice = Long.MIN_VALUE; // when a limited source was last told so; MIN_VALUE: never
  }

  /**
   * @param burst refusals a source may collect at once
   * @param perSecond refusals a source regains each second
   */
  public RefusalLimiter(int burst, double perSecond, LongSupplier nanoTime) {
    this.burst = burst;
    this.perNano = perSecond / 1e9;
    this.nanoTime = nanoTime;
  }

  /** Whether {@code source} may try now (its bucket is not empty). */
  public boolean allows(String source) {
    Bucket b = buckets.get(source);
    if (b == null) {
      return true;
    }
    synchronized (b) {
      refill(b);
      return b.tokens >= 1;
    }
  }

  /**
   * Whether a connection from {@code source}, which {@link #allows} no longer, should still get
   * the TLS handshake and a RATE_LIMITED answer (at most one a second per source), rather than
   * being closed before the handshake. Telling the client why costs a handshake; a guesser that
   * keeps trying gets a bare TCP close for everything else, which costs the server an accept.
   */
  public boolean mayExplain(String source) {
    Bucket b = buckets.get(source);
    if (b == null) {
      return true;
    }
    synchronized (b) {
      long now = nanoTime.getAsLong();
      if (b.lastNotice != Long.MIN_VALUE && now - b.lastNotice < NOTICE_INTERVAL_NANOS) {
        return false;
      }
      b.lastNotice = now;
      return true;
    }
  }

  /** Counts one refusal against {@code source}. */
  public void refused(String source) {
    if (buckets.size() > MAX_TRACKED) {
      evictFull();
    }
    Bucket b = buckets.computeIfAbsent(source, s -> {
      Bucket n = new Bucket();
      n.tokens = burst;
      n.updated = nanoTime.getAsLong();
      return n;
    });
    synchronized (b) {
      refill(b);
      b.tokens = Math.max(0, b.tokens - 1);
    }
  }

  private void refill(Bucket b) {
    long now = nanoTime.getAsLong();
    b.tokens = Math.min(burst, b.tokens + (now - b.updated) * perNano);
    b.updated = now;
  }

  private void evictFull() {
    for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
      Bucket b = it.next();
      synchronized (b) {
        refill(b);
        if (b.tokens >= burst) {
          it.remove();
        }
      }
    }
  }
}
