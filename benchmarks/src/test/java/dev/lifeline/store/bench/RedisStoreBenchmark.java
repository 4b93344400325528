package dev.lifeline.store.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.redis.RedisCheckpointStore;
import dev.lifeline.store.redis.testing.RedisServer;
import java.io.DataInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Checkpoint commits per second through {@link RedisCheckpointStore} against one Redis target (a
 * single primary or a cluster), and Redis memory per stored session. {@code bench/redis-cluster.sh}
 * starts the Redis processes, runs this once per target and round (alternating targets) and
 * prints the medians; run by hand:
 *
 * <pre>
 *   java -cp ... dev.lifeline.store.bench.RedisStoreBenchmark rate --uri redis://127.0.0.1:6379
 *       --nodes 127.0.0.1:6379 [--label single] [--sessions 1,64,1024] [--seconds 8]
 *       [--warmup 2] [--wait-replicas 1]
 *   java -cp ... dev.lifeline.store.bench.RedisStoreBenchmark memory --uri ... --nodes ...
 *       [--count 100000]
 * </pre>
 *
 * <p>{@code rate}: every session keeps one commit in flight (a closed loop: a completion issues
 * that session's next commit), with a 100-byte state as a transfer's checkpoint carries. Redis CPU
 * comes from {@code INFO cpu} of every node in {@code --nodes} (primaries and replicas, children
 * included: AOF rewrites), the client's from this JVM, both over the measured window only.
 * {@code memory}: {@code INFO memory} used_memory summed over the primaries among {@code --nodes},
 * before and after storing {@code --count} sessions of realistic size.
 *
 * <p>Output lines start with {@code RATE} or {@code MEMORY} and hold {@code key=value} pairs for
 * the script. As a test it runs only with {@code -Dlifeline.bench=true}, against one
 * {@code redis-server} of its own (short cases; the script's numbers are the ones to quote).
 */
@EnabledIfSystemProperty(named = "lifeline.bench", matches = "true")
final class RedisStoreBenchmark {
  private static final int STATE_BYTES = 100;
  private static final int SECRET_BYTES = 32;
  private static final int IDENTITY_CHARS = 40;
  private static final int ATTRIBUTE_BYTES = 100;

  @Test
  void run() throws Exception {
    try (RedisServer redis = RedisServer.start(Path.of("target/redis-bench-test"))) {
      String node = "127.0.0.1:" + redis.port();
      main(new String[] {"rate", "--uri", redis.uri(), "--nodes", node, "--sessions", "1,64",
          "--seconds", "3", "--warmup", "1"});
      main(new String[] {"memory", "--uri", redis.uri(), "--nodes", node, "--count", "10000"});
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = options(args);
    String mode = args.length > 0 ? args[0] : "";
    List<RedisInfo> nodes = new ArrayList<>();
    for (String n : require(opts, "nodes").split(",")) {
      nodes.add(RedisInfo.of(n));
    }
    RedisCheckpointStore.Builder builder = RedisCheckpointStore.builder(require(opts, "uri"))
        .nodeId("bench-" + token());
    int replicas = Integer.parseInt(opts.getOrDefault("wait-replicas", "0"));
    if (replicas > 0) {
      builder.waitForReplicas(replicas, Duration.ofSeconds(1));
    }
    String label = opts.getOrDefault("label", "target");
    try (RedisCheckpointStore store = builder.build()) {
      switch (mode) {
        case "rate" -> {
          int seconds = Integer.parseInt(opts.getOrDefault("seconds", "8"));
          int warmup = Integer.parseInt(opts.getOrDefault("warmup", "2"));
          for (String s : opts.getOrDefault("sessions", "1,64,1024").split(",")) {
            rateCase(store, nodes, label, Integer.parseInt(s.trim()), warmup, seconds);
          }
        }
        case "memory" -> memoryCase(store, nodes, label,
            Integer.parseInt(opts.getOrDefault("count", "100000")));
        default -> throw new IllegalArgumentException("mode: '" + mode
            + "' (expected: rate or memory)");
      }
    }
  }

  /** One closed-loop case: sessions stored first, a warm-up, then the measured window. */
  private static void rateCase(RedisCheckpointStore store, List<RedisInfo> nodes, String label,
      int sessions, int warmupSeconds, int seconds) throws Exception {
    String[] ids = storeSessions(store, sessions, 256);
    ClosedLoop loop = new ClosedLoop(store, ids, STATE_BYTES);
    loop.start();
    Thread.sleep(warmupSeconds * 1000L);
    double redisBefore = RedisInfo.cpuSeconds(nodes);
    long clientBefore = processCpuNanos();
    long[] machineBefore = MachineCpu.sample();
    long t0 = System.nanoTime();
    loop.measure();
    Thread.sleep(seconds * 1000L);
    long counted = loop.stopMeasuring();
    long elapsed = System.nanoTime() - t0;
    double redisCpu = RedisInfo.cpuSeconds(nodes) - redisBefore;
    double clientCpu = (processCpuNanos() - clientBefore) / 1e9;
    double machineBusy = MachineCpu.busyPercent(machineBefore, MachineCpu.sample());
    loop.stopAndAwait();
    double wall = elapsed / 1e9;
    long[] sorted = loop.latencies(counted);
    System.out.printf("RATE label=%s sessions=%d ops=%.0f p50=%.2f p99=%.2f redis_us=%.1f"
            + " client_us=%.1f redis_pct=%.0f client_pct=%.0f machine_pct=%.0f errors=%d%n",
        label, sessions, counted / wall, percentile(sorted, 0.50), percentile(sorted, 0.99),
        redisCpu * 1e6 / Math.max(1, counted), clientCpu * 1e6 / Math.max(1, counted),
        100 * redisCpu / wall, 100 * clientCpu / wall, machineBusy, loop.errors());
    if (loop.errors() > 0) {
      throw new IllegalStateException(loop.errors() + " commits failed; first: "
          + loop.firstError());
    }
  }

  /** Redis memory per session: used_memory of the primaries before and after {@code count}. */
  private static void memoryCase(RedisCheckpointStore store, List<RedisInfo> nodes, String label,
      int count) throws Exception {
    List<RedisInfo> primaries = new ArrayList<>();
    for (RedisInfo n : nodes) {
      if ("master".equals(n.info("replication").get("role"))) {
        primaries.add(n);
      }
    }
    long before = RedisInfo.usedMemory(primaries);
    storeSessions(store, count, 512);
    long after = RedisInfo.usedMemory(primaries);
    double perSession = (after - before) / (double) count;
    System.out.printf("MEMORY label=%s sessions=%d primaries=%d used_bytes=%d"
            + " bytes_per_session=%.0f sessions_per_gib=%.0f%n", label, count, primaries.size(),
        after - before, perSession, (1L << 30) / perSession);
  }

  /**
   * Stores {@code count} new sessions of realistic size (32-byte secret, 40-character identity,
   * 100 bytes of attributes and of checkpoint state) with at most {@code inFlight} puts pending;
   * answers their ids. The ids carry a random token so that runs never meet older records.
   */
  private static String[] storeSessions(RedisCheckpointStore store, int count, int inFlight)
      throws Exception {
    String run = token();
    String[] ids = new String[count];
    Semaphore window = new Semaphore(inFlight);
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (int i = 0; i < count; i++) {
      ids[i] = "bench-" + run + "-" + i;
      window.acquire();
      CompletableFuture<Void> put = store.put(SessionRecord.builder(ids[i])
          .secret(random(SECRET_BYTES))
          .identity(("CN=client-" + ids[i] + ",O=Lifeline Bench,C=DE                  ")
              .substring(0, IDENTITY_CHARS))
          .createdAtMillis(now)
          .lastActiveMillis(now)
          .checkpoint(Checkpoint.of(0, random(STATE_BYTES)))
          .attributes(random(ATTRIBUTE_BYTES))
          .build());
      put.whenComplete((ok, e) -> window.release());
      pending.add(put);
    }
    CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).join();
    return ids;
  }

  private static long processCpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static double percentile(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1,
        Math.floor(p * sorted.length))] / 1e6;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  private static String token() {
    return HexFormat.of().formatHex(random(4));
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("option: '" + args[i] + "' (expected: --NAME VALUE)");
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    return opts;
  }

  private static String require(Map<String, String> opts, String name) {
    String v = opts.get(name);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " missing");
    }
    return v;
  }

  /** Whole-machine CPU from /proc/stat: how busy both cores were, everyone's processes. */
  private static final class MachineCpu {
    static long[] sample() throws Exception {
      String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
      long[] v = Arrays.stream(cpu.trim().split("\\s+")).skip(1).mapToLong(Long::parseLong)
          .toArray();
      long idle = v[3] + v[4]; // idle + iowait
      return new long[] {Arrays.stream(v).limit(8).sum(), idle};
    }

    /** Busy share of all cores in % of one core (so 200 is both cores busy on two). */
    static double busyPercent(long[] before, long[] after) {
      long total = after[0] - before[0];
      return total == 0 ? 0 : 100.0 * Runtime.getRuntime().availableProcessors()
          * (total - (after[1] - before[1])) / total;
    }
  }

  /**
   * Every session keeps one commit in flight; each completion hands that session's next commit to
   * a pool of one thread per core, as a server's I/O threads would issue it: issued on the store's
   * single completion thread instead, the harness's own work would queue behind every
   * acknowledgement there and cap the rate.
   */
  private static final class ClosedLoop {
    private static final int WARMUP = 0;
    private static final int MEASURE = 1;
    private static final int RUN_ON = 2;
    private static final int STOP = 3;

    private final RedisCheckpointStore store;
    private final String[] ids;
    private final byte[] template;
    private final long[] latencies = new long[4_000_000];
    private final AtomicLong counted = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();
    private final CountDownLatch stopped;
    private final ExecutorService issuers = Executors.newFixedThreadPool(
        Runtime.getRuntime().availableProcessors(), r -> {
          Thread t = new Thread(r, "bench-issuer");
          t.setDaemon(true);
          return t;
        });
    private volatile int phase = WARMUP;

    ClosedLoop(RedisCheckpointStore store, String[] ids, int stateBytes) {
      this.store = store;
      this.ids = ids;
      this.template = random(stateBytes);
      this.stopped = new CountDownLatch(ids.length);
    }

    void start() {
      for (String id : ids) {
        commit(id, 1);
      }
    }

    void measure() {
      phase = MEASURE;
    }

    /** Ends the measured window (the sessions go on until {@link #stopAndAwait}). */
    long stopMeasuring() {
      phase = RUN_ON;
      return counted.get();
    }

    void stopAndAwait() throws InterruptedException {
      phase = STOP;
      boolean done = stopped.await(60, TimeUnit.SECONDS);
      issuers.shutdown();
      if (!done) {
        throw new IllegalStateException(stopped.getCount() + " commits still pending after 60 s");
      }
    }

    /** The latencies of the first {@code n} commits of the window, sorted (after the stop). */
    long[] latencies(long n) {
      long[] sorted = Arrays.copyOf(latencies, (int) Math.min(n, latencies.length));
      Arrays.sort(sorted);
      return sorted;
    }

    long errors() {
      return errors.get();
    }

    Throwable firstError() {
      return firstError.get();
    }

    private void commit(String id, long position) {
      long start = System.nanoTime();
      byte[] state = template.clone();
      ByteBuffer.wrap(state).putLong(position); // every commit writes new bytes
      store.commit(id, Checkpoint.of(position, state)).whenComplete((ok, error) -> {
        if (error != null) {
          errors.incrementAndGet();
          firstError.compareAndSet(null, error);
          stopped.countDown();
          return;
        }
        int now = phase;
        if (now == MEASURE) {
          long i = counted.getAndIncrement();
          if (i < latencies.length) {
            latencies[(int) i] = System.nanoTime() - start;
          }
        } else if (now == STOP) {
          stopped.countDown();
          return;
        }
        issuers.execute(() -> commit(id, position + 1));
      });
    }
  }

  /** {@code INFO} of one Redis node through a plain socket (no client library involved). */
  private record RedisInfo(String host, int port) {
    static RedisInfo of(String hostPort) {
      int colon = hostPort.lastIndexOf(':');
      return new RedisInfo(hostPort.substring(0, colon),
          Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** Seconds of CPU of all given nodes, forked children (AOF rewrites) included. */
    static double cpuSeconds(List<RedisInfo> nodes) throws IOException {
      double sum = 0;
      for (RedisInfo n : nodes) {
        Map<String, String> cpu = n.info("cpu");
        for (String f : List.of("used_cpu_sys", "used_cpu_user", "used_cpu_sys_children",
            "used_cpu_user_children")) {
          sum += Double.parseDouble(cpu.getOrDefault(f, "0"));
        }
      }
      return sum;
    }

    static long usedMemory(List<RedisInfo> nodes) throws IOException {
      long sum = 0;
      for (RedisInfo n : nodes) {
        sum += Long.parseLong(n.info("memory").get("used_memory"));
      }
      return sum;
    }

    Map<String, String> info(String section) throws IOException {
      try (Socket s = new Socket(host, port)) {
        s.setSoTimeout(5000);
        s.getOutputStream().write(("INFO " + section + "\r\n").getBytes(StandardCharsets.UTF_8));
        DataInputStream in = new DataInputStream(s.getInputStream());
        String header = readLine(in);
        if (!header.startsWith("$")) {
          throw new IOException("INFO " + section + " of " + host + ":" + port + ": " + header);
        }
        byte[] body = new byte[Integer.parseInt(header.substring(1))];
        in.readFully(body);
        Map<String, String> fields = new HashMap<>();
        for (String line : new String(body, StandardCharsets.UTF_8).split("\r\n")) {
          int colon = line.indexOf(':');
          if (colon > 0 && !line.startsWith("#")) {
            fields.put(line.substring(0, colon), line.substring(colon + 1));
          }
        }
        return fields;
      }
    }

    private static String readLine(DataInputStream in) throws IOException {
      StringBuilder b = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed");
        }
        if (c != '\r') {
          b.append((char) c);
        }
      }
      return b.toString();
    }
  }
}
