package dev.lifeline.internal.session;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection-level trouble of one endpoint (failed TLS handshakes, connections closed for a bad
 * frame, a timeout or a refusal, connections lost), logged at DEBUG one by one and at INFO as one
 * summary per interval: "12 connection problems in the last 60 s: 7× TLS handshake failed
 * (the client does not trust the server's certificate (alert certificate_unknown)); 5× closed
 * PROTOCOL_ERROR", the reasons in words from {@link FailureReason}. A scanner, a flood of bad
 * clients or a reconnect storm of 10,000 sessions thus costs a counter increment per connection,
 * not a log line, and the log still says what happened.
 *
 * <p>The summary is written {@code interval} after the first problem of a window (no timer task
 * runs while nothing happens) and by {@link #report()} (on close). Reasons are kept apart up to
 * {@value #MAX_REASONS} distinct ones per window, the rest are counted as "other".
 */
public final class ConnectionLog {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLog.class);
  /** How long a window lasts unless told otherwise. */
  public static final long DEFAULT_INTERVAL_MILLIS = TimeUnit.MINUTES.toMillis(1);
  static final int MAX_REASONS = 16;
  private static final int MAX_REASON_CHARS = 160;

  private final String side;
  private final ScheduledExecutorService timer;
  private final long intervalMillis;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  private volatile long windowStartNanos = System.nanoTime();

  /**
   * @param side "server" or "client", the start of every summary
   * @param timer runs the summaries; if it is shut down, summaries are written only by {@link
   *     #report()}
   */
  public ConnectionLog(String side, ScheduledExecutorService timer, long intervalMillis) {
    this.side = side;
    this.timer = timer;
    this.intervalMillis = intervalMillis;
  }

  /** Whether per-connection lines are wanted (DEBUG); callers skip formatting them otherwise. */
  public static boolean detailed() {
    return log.isDebugEnabled();
  }

  /**
   * Counts one problem: {@code what} happened ("TLS handshake failed", "closed TIMEOUT") for
   * {@code reason} (may be null). Keep {@code what} free of per-connection details (addresses,
   * session ids): it is the key the summary groups by.
   */
  public void count(String what, String reason) {
    String key = reason == null || reason.isEmpty() ? what : what + " (" + shorten(reason) + ")";
    LongAdder n = counts.get(key);
    if (n == null) {
      if (counts.size() >= MAX_REASONS) {
        key = what + " (other reasons)";
      }
      n = counts.computeIfAbsent(key, k -> new LongAdder());
    }
    n.increment();
    if (timer != null && scheduled.compareAndSet(false, true)) {
      try {
        timer.schedule(this::scheduledReport, intervalMillis, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        scheduled.set(false); // shutting down: report() on close writes the rest
      }
    }
  }

  private void scheduledReport() {
    scheduled.set(false);
    report();
  }

  /** Writes the summary of everything counted since the last one, if anything was. */
  public void report() {
    long now = System.nanoTime();
    long seconds = Math.max(1, Math.round((now - windowStartNanos) / 1e9));
    windowStartNanos = now;
    Map<String, Long> taken = new TreeMap<>();
    long total = 0;
    for (String key : counts.keySet()) {
      LongAdder n = counts.remove(key);
      long v = n == null ? 0 : n.sumThenReset();
      if (v > 0) {
        taken.merge(key, v, Long::sum);
        total += v;
      }
    }
    if (total == 0) {
      return;
    }
    StringBuilder b = new StringBuilder();
    taken.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> b.append(b.length() == 0 ? "" : "; ").append(e.getValue()).append("× ")
            .append(e.getKey()));
    log.info("{}: {} connection problem{} in the last {} s: {} (each one is logged at DEBUG)",
        side, total, total == 1 ? "" : "s", seconds, b);
  }

  /**
   * {@code reason} as a grouping key: identifiers (16 or more letters, digits, '-' or '_') become
   * "ID", runs of digits "#", control characters '?'. "peer wants 812 but this side holds 3..7"
   * and "peer wants 97 but this side holds 1..2" then count as one reason, and a reason the peer
   * wrote cannot forge log lines.
   */
  static String pattern(String reason) {
    if (reason == null) {
      return null;
    }
    String p = reason.replaceAll("[A-Za-z0-9_-]{16,}", "ID").replaceAll("[0-9]+", "#");
    StringBuilder b = new StringBuilder(p.length());
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return b.toString();
  }

  private static String shorten(String reason) {
    return reason.length() <= MAX_REASON_CHARS ? reason
        : reason.substring(0, MAX_REASON_CHARS) + "...";
  }
}
