package dev.lifeline.transfer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.FileTransferServer;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * CPU per GiB of the file-transfer data path with a warm JIT: client and server in one JVM, real
 * TLS over loopback, file checkpoint stores on both sides, SHA-256 end to end. Each round
 * uploads and downloads the same file; the table gives wall time and the CPU time of each thread
 * group per round, so a change to the data path shows up as CPU saved, which stays comparable
 * on a machine shared with other work (wall time does not). Not part of the normal test run:
 * <pre>
 * mvn -B -pl benchmarks -am verify -Dtest=DataPathBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dlifeline.bench=true [-Dlifeline.bench.mib=512] [-Dlifeline.bench.rounds=4]
 * </pre>
 * The first round carries JIT compilation; compare the later ones.
 */
@EnabledIfSystemProperty(named = "lifeline.bench", matches = "true")
class DataPathBenchmark {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  @TempDir Path dir;

  @Test
  void uploadAndDownload() throws Exception {
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    int mib = Integer.getInteger("lifeline.bench.mib", 512);
    int rounds = Integer.getInteger("lifeline.bench.rounds", 4);
    Path src = dir.resolve("src.bin");
    try (OutputStream out = Files.newOutputStream(src)) {
      Random random = new Random(1);
      byte[] block = new byte[1 << 20];
      for (int i = 0; i < mib; i++) {
        random.nextBytes(block);
        out.write(block);
      }
    }
    List<String> rows = new ArrayList<>();
    try (CheckpointStore serverStore = FileCheckpointStore.builder(dir.resolve("s-store")).build();
        CheckpointStore clientStore = FileCheckpointStore.builder(dir.resolve("c-store")).build()) {
      FileTransferServer files = FileTransferServer.builder(dir.resolve("files")).build();
      try (LifelineServer server = LifelineServer.builder()
              .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build())
              .store(serverStore)
              .handler(files.handler())
              .replayBufferBytes(64L << 20)
              .start();
          LifelineClient client = LifelineClient.builder()
              .server("127.0.0.1", server.port())
              .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build())
              .store(clientStore)
              .replayBufferBytes(64L << 20)
              .build()) {
        FileTransferClient transfers = new FileTransferClient(client, "127.0.0.1:" + server.port());
        TransferListener quiet = new TransferListener() { };
        for (int r = 1; r <= rounds; r++) {
          String name = "f" + r + ".bin";
          rows.add(measure("upload", r, mib, () -> transfers.upload(src, name, quiet)));
          Path back = dir.resolve("back.bin");
          rows.add(measure("download", r, mib, () -> transfers.download(name, back, quiet)));
          assertEquals(Files.size(src), Files.mismatch(src, back) == -1 ? Files.size(src) : -1,
              "downloaded copy differs");
          Files.delete(back);
          Files.delete(dir.resolve("files").resolve(name));
        }
      }
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
    String table = "| transfer | round | s | MB/s | CPU s per GiB: total | by thread group |\n"
        + "| --- | ---: | ---: | ---: | ---: | --- |\n" + String.join("\n", rows) + "\n";
    System.out.println(table);
    Path out = Path.of("target/benchmarks/data-path.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table);
  }

  interface Run {
    TransferResult run() throws Exception;
  }

  private static String measure(String what, int round, int mib, Run run) throws Exception {
    Map<String, Long> before = cpuByGroup();
    long processBefore = processCpu();
    long jitBefore = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    long gcBefore = gcMillis();
    long t0 = System.nanoTime();
    run.run();
    double secs = (System.nanoTime() - t0) / 1e9;
    double perGib = 1024.0 / mib;
    double total = (processCpu() - processBefore) / 1e9 * perGib;
    Map<String, Long> after = cpuByGroup();
    StringBuilder groups = new StringBuilder();
    groups.append(String.format(Locale.ROOT, "(JIT wall %.2f, GC wall %.2f), ",
        (ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitBefore) / 1e3
            * perGib, (gcMillis() - gcBefore) / 1e3 * perGib));
    after.forEach((group, nanos) -> {
      double s = (nanos - before.getOrDefault(group, 0L)) / 1e9 * perGib;
      if (s >= 0.05) {
        groups.append(String.format(Locale.ROOT, "%s %.2f, ", group, s));
      }
    });
    return String.format(Locale.ROOT, "| %s | %d | %.2f | %.0f | %.2f | %s |", what, round, secs,
        mib * 1.048576 / secs, total, groups.length() > 2
            ? groups.substring(0, groups.length() - 2) : "");
  }

  private static long gcMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).sum();
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean)
        ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** CPU nanoseconds of live threads, by name with digits removed (JIT and GC not included). */
  private static Map<String, Long> cpuByGroup() {
    Map<String, Long> m = new TreeMap<>();
    for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (t == null) {
        continue;
      }
      long cpu = THREADS.getThreadCpuTime(t.getThreadId());
      if (cpu > 0) {
        m.merge(t.getThreadName().replaceAll("[-#]?\\d+", ""), cpu, Long::sum);
      }
    }
    return m;
  }
}
