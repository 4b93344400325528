package dev.lifeline.store.bench;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Durable checkpoints per second and commit latency of {@link FileCheckpointStore} with 1, 100
 * and 10,000 concurrent sessions (each keeps one commit in flight: a closed loop), beside the raw
 * rate of 4 KiB write + fdatasync on the same disk. Not part of the test run:
 *
 * <pre>
 *   mvn -B -Pbench -pl benchmarks -am verify [-Dbench.dir=DIR] [-Dbench.seconds=8]
 * </pre>
 *
 * <p>Its class name keeps it out of the normal test run, and it runs only with
 * {@code -Dlifeline.bench=true}; the {@code bench} profile sets that and runs only it. The
 * default {@code bench.dir} is {@code benchmarks/target/bench}: the disk under the checkout.
 */
@EnabledIfSystemProperty(named = "lifeline.bench", matches = "true")
final class CheckpointStoreBenchmark {
  private static final int STATE_BYTES = 16;

  @org.junit.jupiter.api.Test
  void run() throws Exception {
    main(new String[0]);
  }

  public static void main(String[] args) throws Exception {
    Path base = Path.of(System.getProperty("bench.dir", "target/bench"));
    int seconds = Integer.getInteger("bench.seconds", 8);
    deleteRecursively(base);
    Files.createDirectories(base);
    System.out.printf("disk under %s, %d s per case after 2 s warm-up%n", base.toAbsolutePath(),
        seconds);
    System.out.println("| case | ops/s | p50 ms | p99 ms | records per sync |");
    System.out.println("| --- | ---: | ---: | ---: | ---: |");
    rawFdatasync(base.resolve("raw.dat"), 4096, true, 2, null); // warm-up, not reported
    rawFdatasync(base.resolve("raw.dat"), 4096, true, seconds, "raw 4 KiB append + fdatasync");
    rawFdatasync(base.resolve("raw.dat"), 64, true, seconds, "raw 64 B append + fdatasync");
    rawFdatasync(base.resolve("raw.dat"), 4096, false, seconds,
        "raw 4 KiB overwrite + fdatasync");
    for (int sessions : List.of(1, 100, 10_000)) {
      storeCase(base.resolve("store-" + sessions), sessions, seconds);
    }
  }

  /**
   * A loop of write + force(false): appending (the file grows, so each sync also commits a size
   * and, every 4 KiB, a block allocation) or overwriting the first block (data only).
   */
  private static void rawFdatasync(Path file, int bytes, boolean append, int seconds,
      String name) throws IOException {
    Files.deleteIfExists(file);
    long[] latencies = new long[10_000_000];
    int n = 0;
    ByteBuffer block = ByteBuffer.allocateDirect(bytes);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE)) {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long pos = 0;
      while (System.nanoTime() < end && n < latencies.length) {
        long t = System.nanoTime();
        block.clear();
        pos += append ? ch.write(block, pos) : ch.write(block, 0) * 0;
        ch.force(false);
        latencies[n++] = System.nanoTime() - t;
      }
    }
    if (name != null) {
      report(name, n / (double) seconds, latencies, n, 1);
    }
  }

  private static void storeCase(Path dir, int sessions, int seconds) throws Exception {
    try (FileCheckpointStore store = FileCheckpointStore.open(dir)) {
      CompletableFuture<?>[] puts = new CompletableFuture<?>[sessions];
      for (int i = 0; i < sessions; i++) {
        puts[i] = store.put(SessionRecord.builder("b-" + i)
            .lastActiveMillis(System.currentTimeMillis()).build());
      }
      CompletableFuture.allOf(puts).join();
      ClosedLoop warmup = new ClosedLoop(store, sessions, 0);
      warmup.run(2);
      StoreStats before = store.stats();
      ClosedLoop loop = new ClosedLoop(store, sessions, warmup.maxPosition + 1);
      loop.run(seconds);
      StoreStats after = store.stats();
      double perSync = (after.records() - before.records())
          / (double) Math.max(1, after.syncs() - before.syncs());
      report(String.format("store, sessions: %,d", sessions), loop.completed / (double) seconds,
          loop.latencies, (int) Math.min(loop.completed, loop.latencies.length), perSync);
    }
  }

  private static void report(String name, double perSecond, long[] latencies, int n,
      double perSync) {
    long[] sorted = Arrays.copyOf(latencies, n);
    Arrays.sort(sorted);
    System.out.printf("| %s | %,.0f | %.2f | %.2f | %.1f |%n", name, perSecond,
        percentile(sorted, 0.50), percentile(sorted, 0.99), perSync);
  }

  private static double percentile(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1,
        Math.floor(p * sorted.length))] / 1e6;
  }

  /** Every session keeps one commit in flight; each completion issues the session's next one. */
  private static final class ClosedLoop {
    private final FileCheckpointStore store;
    private final int sessions;
    private final long firstPosition;
    final long[] latencies = new long[20_000_000];
    /** Written by the store's completion thread only, read after {@link #done}. */
    long completed;
    long maxPosition;
    private volatile boolean running = true;
    private final CountDownLatch done;

    ClosedLoop(FileCheckpointStore store, int sessions, long firstPosition) {
      this.store = store;
      this.sessions = sessions;
      this.firstPosition = firstPosition;
      this.done = new CountDownLatch(sessions);
    }

    void run(int seconds) throws InterruptedException {
      for (int i = 0; i < sessions; i++) {
        commit("b-" + i, firstPosition);
      }
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      running = false;
      done.await();
    }

    private void commit(String id, long position) {
      long start = System.nanoTime();
      byte[] state = ByteBuffer.allocate(STATE_BYTES).putLong(position).array();
      store.commit(id, Checkpoint.of(position, state)).whenComplete((ok, error) -> {
        if (error != null) {
          throw new IllegalStateException("commit failed", error);
        }
        if (!running) {
          done.countDown();
          return;
        }
        if (completed < latencies.length) {
          latencies[(int) completed] = System.nanoTime() - start;
        }
        completed++;
        maxPosition = Math.max(maxPosition, position);
        commit(id, position + 1);
      });
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path f : walk.sorted((a, b) -> b.compareTo(a)).toList()) {
        Files.delete(f);
      }
    }
  }
}
