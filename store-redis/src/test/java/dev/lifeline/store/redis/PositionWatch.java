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
 * cluster under them, and records every read below one seen before (an acknowledged checkpoint
 * lost) and every failed read (the store gave up within its retry budget). A deleted record
 * (a finished upload) is not a regression.
 */
final class PositionWatch implements AutoCloseable {
  private final ClusterServers nodes;
  private final List<String> ids;
  private final Map<String, Long> highest = new ConcurrentHashMap<>();
  private final List<String> problems = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  private PositionWatch(ClusterServers nodes, List<String> ids) {
    this.nodes = nodes;
    this.ids = List.copyOf(ids);
  }

  static PositionWatch start(ClusterServers nodes, List<String> ids) {
    PositionWatch w = new PositionWatch(nodes, ids);
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

  /** The highest position read for {@code id}, -1 if none was. */
  long highest(String id) {
    return highest.getOrDefault(id, -1L);
  }

  private void sample() {
    for (String id : ids) {
      try {
        long p = nodes.storedPosition(id);
        long seen = highest.merge(id, p, Math::max);
        if (p >= 0 && p < seen) {
          problems.add(id + ": " + p + " after " + seen);
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
