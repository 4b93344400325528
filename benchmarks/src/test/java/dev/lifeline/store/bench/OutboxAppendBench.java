package dev.lifeline.store.bench;

import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.store.Outbox;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Durable appends per second of the file store's outbox: one appender thread, 200-byte messages,
 * at most {@code bench.window} bytes appended and not yet durable (as a session's replay buffer
 * bounds them), trimming behind itself as a peer's acknowledgements would. Reports appends/s and
 * the latency from append to its future's completion. Not part of the test run:
 *
 * <pre>
 *   mvn -B -Pbench -pl benchmarks -am verify -Dtest=OutboxAppendBench \
 *       -Dsurefire.failIfNoSpecifiedTests=false [-Dbench.dir=DIR] [-Dbench.seconds=8]
 * </pre>
 *
 * <p>The default {@code bench.dir} is {@code benchmarks/target/bench}: the disk under the checkout.
 */
@EnabledIfSystemProperty(named = "lifeline.bench", matches = "true")
final class OutboxAppendBench {
  private static final int MESSAGE_BYTES = 200;

  @Test
  void run() throws Exception {
    main(new String[0]);
  }

  public static void main(String[] args) throws Exception {
    Path base = Path.of(System.getProperty("bench.dir", "target/bench"), "outbox");
    int seconds = Integer.getInteger("bench.seconds", 8);
    System.out.printf("disk under %s, %d s per case after 2 s warm-up, %d-byte messages%n",
        base.toAbsolutePath(), seconds, MESSAGE_BYTES);
    System.out.println("| window | appends/s | MB/s | p50 ms | p99 ms |");
    System.out.println("| ---: | ---: | ---: | ---: | ---: |");
    for (int windowKiB : new int[] {1024, 4096, 16384}) {
      deleteRecursively(base);
      try (FileCheckpointStore store = FileCheckpointStore.open(base)) {
        Outbox outbox = store.openOutbox("bench");
        Loop loop = new Loop(outbox, windowKiB << 10);
        loop.run(TimeUnit.SECONDS.toNanos(2), false);
        loop.run(TimeUnit.SECONDS.toNanos(seconds), true);
      }
    }
    deleteRecursively(base);
  }

  /** One appender thread; a semaphore of bytes is the replay buffer's bound. */
  private static final class Loop {
    private final Outbox outbox;
    private final int windowBytes;
    private final Semaphore window;
    private final ByteBuffer message = ByteBuffer.allocate(MESSAGE_BYTES);
    private final long[] latencies = new long[8_000_000];
    private long seq;

    Loop(Outbox outbox, int windowBytes) {
      this.outbox = outbox;
      this.windowBytes = windowBytes;
      this.window = new Semaphore(windowBytes);
      this.seq = outbox.lastSeq();
    }

    void run(long nanos, boolean report) throws InterruptedException {
      long start = System.nanoTime();
      long end = start + nanos;
      long first = seq + 1;
      int n = 0;
      CompletableFuture<Void> last = null;
      while (System.nanoTime() < end) {
        for (int i = 0; i < 256; i++) {
          window.acquire(MESSAGE_BYTES);
          long s = ++seq;
          long t = System.nanoTime();
          int slot = n++;
          message.putLong(0, s);
          last = outbox.append(s, message.duplicate()).whenComplete((ok, error) -> {
            if (error != null) {
              throw new IllegalStateException("append " + s + " failed", error);
            }
            if (slot < latencies.length) {
              latencies[slot] = System.nanoTime() - t;
            }
            window.release(MESSAGE_BYTES);
          });
          if ((s & 4095) == 0) {
            outbox.trim(s - 4096); // the peer acknowledges what it stored
          }
        }
      }
      last.join();
      long elapsed = System.nanoTime() - start;
      if (report) {
        long count = seq - first + 1;
        long[] sorted = Arrays.copyOf(latencies, (int) Math.min(count, latencies.length));
        Arrays.sort(sorted);
        double perSecond = count * 1e9 / elapsed;
        System.out.printf("| %d KiB | %,.0f | %.1f | %.2f | %.2f |%n", windowBytes >> 10,
            perSecond, perSecond * MESSAGE_BYTES / 1e6, percentile(sorted, 0.50),
            percentile(sorted, 0.99));
      }
    }
  }

  private static double percentile(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1,
        Math.floor(p * sorted.length))] / 1e6;
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
