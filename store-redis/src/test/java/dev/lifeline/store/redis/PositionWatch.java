package dev.lifeline.store.redis;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads the stored checkpoint position of some sessions every 50 ms while a test breaks the
 * cluster under them, and records every read below the acknowledged position it started from or
 * below one read before (an acknowledged checkpoint lost), and every failed read (the store gave
 * up within its retry budget). A deleted record (a finished upload) is not a regression.
 */
final class PositionWatch implements AutoCloseable {
  private final ClusterServers nodes;
  private final Map<String, Long> highest = new ConcurrentHashMap<>();
  private final List<String> problems = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  private PositionWatch(ClusterServers nodes, Map<String, Long> acked) {
    this.nodes = nodes;
    this.highest.putAll(acked);
  }

  /** Starts watching the sessions in {@code acked}, each from its acknowledged position. */
  static PositionWatch start(ClusterServers nodes, Map<String, Long> acked) {
    PositionWatch w = new PositionWatch(nodes, acked);
    w.timer.scheduleWithFixedDelay(w::sample, 0, 50, TimeUnit.MILLISECONDS);
    return w;
  }

  /** Stops reading and returns what went wrong, empty if nothing did. */
  List<String> stop() throws InterruptedException {
    timer.shutdown();
    if (!timer.awaitTermination(40, TimeUnit.SECONDS)) {
      problems.add("a read did not return within 40 s");
    }
    return List.copyOf(problems);
  }

  private void sample() {
    for (String id : highest.keySet()) {
      try {
        long p = nodes.storedPosition(id);
        long seen = highest.merge(id, p, Math::max);
        if (p >= 0 && p < seen) {
          problems.add(id + ": read " + p + ", below " + seen + " acknowledged or read before");
        }
      } catch (RuntimeException e) {
        problems.add(id + ": load failed: " + e);
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
