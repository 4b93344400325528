package dev.lifeline.bench.records;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.DurableReceiver;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.FileCheckpointStore;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Lifeline's exactly-once record rate, warm, in one JVM (issue 20, "Measured"): a {@link
 * LifelineServer} on loopback TLS with a {@link FileCheckpointStore} whose every session
 * acknowledges only through durable checkpoints (a {@link DurableReceiver} whose {@link
 * RecordFileSink} appends to a file and fsyncs before each checkpoint), and a {@link LifelineClient} with its own {@code FileCheckpointStore} and, when the
 * store keeps outboxes, a durable outbox. One session sends numbered 200-byte records.
 *
 * <ol>
 *   <li>Warm-up: {@code --warmup} records, untimed.
 *   <li>Rate: {@code --records} records sent as fast as the replay buffer lets the sender; the
 *       time until the last one's future completed (the server's checkpoint covering it is
 *       durable and acknowledged).
 *   <li>Latency: for {@code --latency-seconds}, records paced at {@code --rate} (default half the
 *       measured rate); for each, the time from when it was due to be sent to its future
 *       completing, so a sender that falls behind is charged for it. With {@code --low-rate R},
 *       the same again at R/s: the floor set by the checkpoint cadence and the fsyncs.
 * </ol>
 *
 * <pre>
 * java -cp ... dev.lifeline.bench.records.RecordsLifelineBench --dir /tmp/r --records 2000000 \
 *     --checkpoint-every 1000 --checkpoint-bytes 1048576 --checkpoint-millis 5 --replay-mib 32
 * </pre>
 *
 * Prints {@code result ...} lines on standard output; exits 1 if a record was lost, duplicated
 * or out of order.
 */
public final class RecordsLifelineBench {

  private RecordsLifelineBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = RecordsMqttBench.options(args);
    Path dir = Path.of(opt.getOrDefault("dir", "records-bench"));
    int records = Integer.parseInt(opt.getOrDefault("records", "2000000"));
    int warmup = Integer.parseInt(opt.getOrDefault("warmup", "600000"));
    int recordBytes = Integer.parseInt(opt.getOrDefault("record-bytes", "200"));
    int everyRecords = Integer.parseInt(opt.getOrDefault("checkpoint-every", "1000"));
    long everyBytes = Long.parseLong(opt.getOrDefault("checkpoint-bytes", "1048576"));
    long everyMillis = Long.parseLong(opt.getOrDefault("checkpoint-millis", "5"));
    long replayBytes = Long.parseLong(opt.getOrDefault("replay-mib", "32")) << 20;
    double latencySeconds = Double.parseDouble(opt.getOrDefault("latency-seconds", "10"));
    String outboxOption = opt.getOrDefault("outbox", "auto");
    Files.createDirectories(dir);
    RecordFileSink sink = new RecordFileSink(dir.resolve("records.out"));
    DurableReceiver receiver = DurableReceiver.builder(session -> sink)
        .everyMessages(everyRecords)
        .everyBytes(everyBytes)
        .every(Duration.ofMillis(everyMillis))
        .build();

    try (FileCheckpointStore serverStore = FileCheckpointStore.open(dir.resolve("server-store"));
        FileCheckpointStore clientStore = FileCheckpointStore.open(dir.resolve("client-store"));
        LifelineServer server = LifelineServer.builder()
            .port(0)
            .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build())
            .store(serverStore)
            .autoAcknowledge(false)
            .replayBufferBytes(replayBytes)
            .handler(receiver)
            .start()) {
      boolean outbox = switch (outboxOption) {
        case "on" -> true;
        case "off" -> false;
        default -> clientStore.supportsOutbox();
      };
      System.out.printf("result config outbox=%s replay-mib=%d checkpoint-every=%d"
              + " checkpoint-bytes=%d checkpoint-millis=%d tls=%s%n", outbox ? "on" : "off",
          replayBytes >> 20, everyRecords, everyBytes, everyMillis, server.tlsProvider());
      try (LifelineClient client = LifelineClient.builder()
          .server("127.0.0.1", server.port())
          .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build())
          .store(clientStore)
          .durableOutbox(outbox)
          .replayBufferBytes(replayBytes)
          .build()) {
        Session session = client.open("records-" + System.nanoTime(), new SessionHandler.SendOnly() {})
            .get(30, TimeUnit.SECONDS);
        Sender sender = new Sender(session, recordBytes);
        sender.burst(warmup);
        DurableReceiver.Stats before = receiver.stats();
        long cpuBefore = processCpuNanos();
        double seconds = sender.burst(records);
        double cpuMicrosPerRecord = (processCpuNanos() - cpuBefore) / 1e3 / records;
        double rate = records / seconds;
        DurableReceiver.Stats after = receiver.stats();
        long checkpoints = after.checkpoints() - before.checkpoints();
        System.out.printf("result rate records=%d seconds=%.3f rate=%.0f checkpoints=%d"
                + " (messages %d, bytes %d, time %d) sync-ms-avg=%.2f cpu-us-per-record=%.2f"
                + " load=%.1f%n", records, seconds, rate, checkpoints,
            after.checkpointsByMessages() - before.checkpointsByMessages(),
            after.checkpointsByBytes() - before.checkpointsByBytes(),
            after.checkpointsByTime() - before.checkpointsByTime(),
            (after.syncNanos() - before.syncNanos()) / 1e6 / Math.max(1, checkpoints),
            cpuMicrosPerRecord,
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        double paced = Double.parseDouble(opt.getOrDefault("rate", Double.toString(rate / 2)));
        printLatency("latency", paced, sender.paced(paced, latencySeconds));
        double low = Double.parseDouble(opt.getOrDefault("low-rate", "0"));
        if (low > 0) { // the floor: the checkpoint cadence's time bound and the fsyncs, no queue
          printLatency("latency-low", low, sender.paced(low, latencySeconds));
        }
        session.close(Duration.ofSeconds(30)).get(60, TimeUnit.SECONDS);
        check(sink, sender.sent());
      }
    }
  }

  private static void printLatency(String label, double rate, long[] latencies) {
    System.out.printf("result %s rate=%.0f records=%d p50-ms=%.3f p99-ms=%.3f p999-ms=%.3f"
            + " max-ms=%.3f%n", label, rate, latencies.length, percentile(latencies, 0.50),
        percentile(latencies, 0.99), percentile(latencies, 0.999),
        latencies[latencies.length - 1] / 1e6);
  }

  /** CPU time of this whole JVM (both endpoints, the stores, GC and JIT). */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
        ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static void check(RecordFileSink sink, long sent) {
    if (sink.error() != null || sink.received() != sent) {
      System.out.println("result FAILED received=" + sink.received() + " sent=" + sent + " "
          + sink.error());
      System.exit(1);
    }
    System.out.println("result exactly-once received=" + sent + " in order");
  }

  /** {@code sorted} in nanoseconds; the value at fraction {@code q}, in milliseconds. */
  private static double percentile(long[] sorted, double q) {
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  /** Numbers and sends the records of one session. */
  private static final class Sender {
    private final Session session;
    private final int recordBytes;
    private long next = 1;

    Sender(Session session, int recordBytes) {
      this.session = session;
      this.recordBytes = recordBytes;
    }

    long sent() {
      return next - 1;
    }

    private CompletableFuture<Void> sendNext() throws Exception {
      byte[] record = new byte[recordBytes];
      ByteBuffer.wrap(record).putLong(next++);
      Arrays.fill(record, 8, record.length, (byte) 'x');
      return session.send(record);
    }

    /** Sends {@code n} records back to back; seconds until the last is acknowledged. */
    double burst(int n) throws Exception {
      long start = System.nanoTime();
      CompletableFuture<Void> last = null;
      for (int i = 0; i < n; i++) {
        last = sendNext();
      }
      last.get(10, TimeUnit.MINUTES); // futures complete in sequence order
      return (System.nanoTime() - start) / 1e9;
    }

    /** Sends at {@code rate}/s for {@code seconds}; the sorted latencies from due to acked. */
    long[] paced(double rate, double seconds) throws Exception {
      int n = (int) (rate * seconds);
      long[] latencies = new long[n];
      AtomicLong done = new AtomicLong();
      long start = System.nanoTime();
      double interval = 1e9 / rate;
      CompletableFuture<Void> last = null;
      for (int i = 0; i < n; i++) {
        long due = start + (long) (i * interval);
        long wait = due - System.nanoTime();
        if (wait > 50_000) {
          LockSupport.parkNanos(wait); // records already due go out at once, in a batch
        }
        int index = i;
        last = sendNext().thenRun(() -> {
          latencies[index] = System.nanoTime() - due;
          done.incrementAndGet();
        });
      }
      last.get(1, TimeUnit.MINUTES);
      if (done.get() != n) {
        throw new IllegalStateException("only " + done.get() + " of " + n + " completed");
      }
      Arrays.sort(latencies);
      return latencies;
    }
  }
}
