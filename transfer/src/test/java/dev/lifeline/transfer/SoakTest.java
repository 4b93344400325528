package dev.lifeline.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.testing.ChaosSpec;
import dev.lifeline.testing.FaultProxy;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many concurrent uploads and downloads through a {@link FaultProxy} that cuts every connection
 * after a random number of bytes (reset, end of stream or silence, at random), while the server
 * is restarted now and then (its replay buffers gone; sessions come back from its file store).
 * Every transfer must complete with the SHA-256 of its source, no message may reach the server's
 * handler twice except after a rewind to a durable checkpoint, and the heap after GC must not
 * grow over the run.
 *
 * <p>Not in the normal suite (even 8 transfers for 12 s took close to three minutes on a loaded
 * 2-core machine): {@code mvn -B -Psoak -pl transfer -am verify -Dtest=SoakTest} runs 100
 * transfers at a time for ten minutes with a restart every minute (see docs/security.md for the
 * figures). Parameters, any of which enables the test: {@code lifeline.soak.transfers}, {@code
 * lifeline.soak.seconds}, {@code lifeline.soak.restartSeconds} (0: no restarts).
 */
@EnabledIfSystemProperty(named = "lifeline.soak.seconds", matches = "\\d+")
class SoakTest {
  private static final int WORKERS = Integer.getInteger("lifeline.soak.transfers", 8);
  private static final long SECONDS = Long.getLong("lifeline.soak.seconds", 12);
  private static final long RESTART_SECONDS = Long.getLong("lifeline.soak.restartSeconds", 6);
  /** A worker whose transfer made no progress for this long is reported as stalled at once. */
  private static final long STALL_SECONDS = Long.getLong("lifeline.soak.stallSeconds", 90);

  @TempDir Path dir;

  private final CheckpointStore clientStore = InMemoryCheckpointStore.builder().build();
  private final DuplicateCheck duplicates = new DuplicateCheck();
  private CheckpointStore serverStore;
  private volatile LifelineServer server;
  private FileTransferServer files;
  private int port;
  /** What each worker is doing, and when its transfer last moved (for the stall report). */
  private final Map<Integer, String> phase = new ConcurrentHashMap<>();
  private final Map<Integer, Long> lastMoved = new ConcurrentHashMap<>();

  /** A fresh server over the same store and files, as after a process restart. */
  private void startServer() throws IOException {
    files = FileTransferServer.builder(dir.resolve("data/files"))
        .checkpointEvery(1 << 20, Duration.ofMillis(200)).build();
    server = LifelineServer.builder()
        .host("127.0.0.1")
        .port(port)
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("data/tls")).build())
        .store(serverStore)
        .handler(duplicates.wrap(files.handler()))
        .idleTimeout(Duration.ofSeconds(2))
        .replayBufferBytes(4 << 20)
        .maxSessions(10_000)
        .refusalLimit(100_000, 100_000)
        .start();
    port = server.port();
  }

  @Test
  void concurrentTransfersSurviveRandomFaultsAndRestarts() throws Exception {
    serverStore = FileCheckpointStore.open(dir.resolve("data/sessions"));
    startServer();
    List<LifelineClient> clients = new ArrayList<>();
    ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
    List<long[]> heap = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger restarts = new AtomicInteger();
    AtomicLong transfers = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    AtomicLong reconnects = new AtomicLong();
    AtomicLong resumedTls = new AtomicLong();
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(SECONDS);
    try (FaultProxy proxy = FaultProxy.start("127.0.0.1", port)) {
      proxy.setPlan(ChaosSpec.parse("cut=512K..6M,mode=mix"), 8);
      for (int i = 0; i < Math.max(1, WORKERS / 25); i++) {
        clients.add(LifelineClient.builder()
            .server("127.0.0.1", proxy.port())
            .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("data/tls/ca.pem")).build())
            .store(clientStore)
            .idleTimeout(Duration.ofSeconds(2))
            .replayBufferBytes(4 << 20)
            .reconnect(Duration.ofMillis(20), Duration.ofMillis(500), Duration.ofMinutes(5))
            .build());
      }
      List<Future<?>> running = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        int worker = w;
        FileTransferClient client = new FileTransferClient(clients.get(w % clients.size()),
            "127.0.0.1:" + proxy.port());
        running.add(workers.submit(() -> {
          SplittableRandom random = new SplittableRandom(worker);
          try {
            for (int n = 0; n == 0 || System.nanoTime() < deadline; n++) {
              TransferResult[] done = roundTrip(client, worker, n, random);
              phase.put(worker, "between transfers");
              transfers.addAndGet(2);
              bytes.addAndGet(done[0].bytes() + done[1].bytes());
              reconnects.addAndGet(done[0].reconnects() + done[1].reconnects());
              resumedTls.addAndGet(done[0].tlsResumed() + done[1].tlsResumed());
            }
          } finally {
            lastMoved.remove(worker); // a failed transfer is reported by its future, not as a stall
            phase.put(worker, "finished");
          }
          return null;
        }));
      }
      long nextRestart = start + TimeUnit.SECONDS.toNanos(RESTART_SECONDS);
      long nextSample = start;
      // Transfers started before the deadline get this long to finish: a stall is a failure.
      long stallLimit = deadline + TimeUnit.SECONDS.toNanos(180);
      while (!running.stream().allMatch(Future::isDone)) {
        long now = System.nanoTime();
        List<Integer> stuck = stalledWorkers(now);
        if (!stuck.isEmpty()) {
          System.out.println(stallReport(stuck, now));
          throw new AssertionError("transfers stalled: workers " + stuck + " made no progress"
              + " for " + STALL_SECONDS + " s (report above); " + transfers.get()
              + " transfers done; restarts " + restarts.get());
        }
        if (now > stallLimit) {
          System.out.println(stallReport(List.of(), now));
          throw new AssertionError("transfers stalled: " + running.stream()
              .filter(f -> !f.isDone()).count() + " of " + WORKERS + " still running 180 s"
              + " after the deadline; " + transfers.get() + " transfers done; faults rst="
              + proxy.cuts(ChaosSpec.Mode.RST) + " fin=" + proxy.cuts(ChaosSpec.Mode.FIN)
              + " blackhole=" + proxy.cuts(ChaosSpec.Mode.BLACKHOLE) + ", restarts "
              + restarts.get() + ", duplicates " + duplicates.duplicates.get());
        }
        if (RESTART_SECONDS > 0 && now >= nextRestart && now < deadline) {
          server.close();
          startServer();
          restarts.incrementAndGet();
          nextRestart = now + TimeUnit.SECONDS.toNanos(RESTART_SECONDS);
        }
        if (now >= nextSample) {
          heap.add(new long[] {TimeUnit.NANOSECONDS.toSeconds(now - start), heapAfterGc()});
          nextSample = now + TimeUnit.SECONDS.toNanos(Math.max(2, SECONDS / 60));
        }
        Thread.sleep(200);
      }
      for (Future<?> f : running) {
        f.get(); // rethrows a failed transfer
      }
      heap.add(new long[] {TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
          heapAfterGc()});
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
      String figures = String.format("soak: %d workers, %d s, %d transfers, %.1f GiB, faults"
              + " rst=%d fin=%d blackhole=%d (total %d), server restarts %d, reconnects %d,"
              + " TLS resumed %d, duplicates %d, rewinds %d, heap after GC MiB %s",
          WORKERS, seconds, transfers.get(), bytes.get() / (double) (1L << 30),
          proxy.cuts(ChaosSpec.Mode.RST), proxy.cuts(ChaosSpec.Mode.FIN),
          proxy.cuts(ChaosSpec.Mode.BLACKHOLE), proxy.cuts(), restarts.get(), reconnects.get(),
          resumedTls.get(), duplicates.duplicates.get(), duplicates.rewinds.get(),
          heapSeries(heap));
      System.out.println(figures);
      assertEquals(0, duplicates.duplicates.get(), "messages delivered twice; " + figures);
      assertTrue(proxy.cuts(ChaosSpec.Mode.RST) > 0 && proxy.cuts(ChaosSpec.Mode.FIN) > 0
          && proxy.cuts(ChaosSpec.Mode.BLACKHOLE) > 0, "every kind of fault: " + figures);
      assertTrue(reconnects.get() > 0, figures);
      assertHeapStable(heap, figures);
    } finally {
      workers.shutdownNow();
      clients.forEach(LifelineClient::close);
      server.close();
      serverStore.close();
    }
  }

  private List<Integer> stalledWorkers(long now) {
    List<Integer> stuck = new ArrayList<>();
    lastMoved.forEach((worker, at) -> {
      if (now - at > TimeUnit.SECONDS.toNanos(STALL_SECONDS)) {
        stuck.add(worker);
      }
    });
    Collections.sort(stuck);
    return stuck;
  }

  /** Worker phases, the server's view of its sessions and transfers, and every thread's stack. */
  private String stallReport(List<Integer> stuck, long now) {
    StringBuilder b = new StringBuilder("==== soak stall report ====\n");
    phase.forEach((worker, what) -> b.append("worker ").append(worker)
        .append(stuck.contains(worker) ? " STALLED " : " ").append(what).append(", last moved ")
        .append(TimeUnit.NANOSECONDS.toSeconds(now - lastMoved.getOrDefault(worker, now)))
        .append(" s ago\n"));
    server.sessions().forEach(s -> b.append("server session ").append(s).append('\n'));
    files.activeTransfers().forEach(t -> b.append("server transfer ").append(t).append('\n'));
    for (java.lang.management.ThreadInfo t : ManagementFactory.getThreadMXBean()
        .dumpAllThreads(true, true)) {
      b.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
      if (t.getLockName() != null) {
        b.append(" on ").append(t.getLockName());
      }
      b.append('\n');
      for (StackTraceElement e : t.getStackTrace()) {
        b.append("    at ").append(e).append('\n');
      }
    }
    return b.append("==== end of stall report ====").toString();
  }

  /** Tracks one worker's transfer for the stall report. */
  private TransferListener tracking(int worker, String what) {
    phase.put(worker, what + " starting");
    lastMoved.put(worker, System.nanoTime());
    return new TransferListener() {
      @Override
      public void started(String name, long total, long offset) {
        phase.put(worker, what + " " + total + " bytes from " + offset);
        lastMoved.put(worker, System.nanoTime());
      }

      @Override
      public void progress(long done) {
        phase.put(worker, what + " at " + done);
        lastMoved.put(worker, System.nanoTime());
      }

      @Override
      public void reconnected(long reconnects) {
        phase.put(worker, what + " reconnected (" + reconnects + ")");
      }

      @Override
      public void restarted(String reason) {
        phase.put(worker, what + " restarted: " + reason);
        lastMoved.put(worker, System.nanoTime());
      }
    };
  }

  /** Uploads a random file, downloads it back, checks both hashes, removes the copies. */
  private TransferResult[] roundTrip(FileTransferClient client, int worker, int n,
      SplittableRandom random) throws Exception {
    byte[] data = new byte[(1 << 20) + random.nextInt(7 << 20)];
    random.nextBytes(data);
    String name = "w" + worker + "-" + n + ".bin";
    Path src = dir.resolve("src-" + name);
    Files.write(src, data);
    String sha = sha256(data);
    TransferResult up = client.upload(src, name, tracking(worker, "upload " + name));
    assertEquals(sha, up.sha256(), "upload " + name);
    Path stored = dir.resolve("data/files").resolve(name);
    assertEquals(sha, sha256(Files.readAllBytes(stored)), "stored " + name);
    Path back = dir.resolve("back-" + name);
    TransferResult down = client.download(name, back, tracking(worker, "download " + name));
    lastMoved.remove(worker);
    assertEquals(sha, down.sha256(), "download " + name);
    assertEquals(sha, sha256(Files.readAllBytes(back)), "downloaded " + name);
    Files.delete(src);
    Files.delete(back);
    return new TransferResult[] {up, down};
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * After a warm-up fifth, the heap after GC in the last quarter of the run stays within 25% (plus
   * 64 MiB of slack for buffers in flight) of the first quarter: no growth trend.
   */
  private static void assertHeapStable(List<long[]> heap, String figures) {
    if (heap.size() < 8) {
      return; // too short a run to speak of a trend
    }
    List<long[]> steady = heap.subList(heap.size() / 5, heap.size());
    int q = Math.max(1, steady.size() / 4);
    long first = median(steady.subList(0, q));
    long last = median(steady.subList(steady.size() - q, steady.size()));
    assertTrue(last <= first * 5 / 4 + (64L << 20),
        "heap after GC grew from " + (first >> 20) + " MiB to " + (last >> 20) + " MiB; "
            + figures);
  }

  private static long median(List<long[]> samples) {
    long[] v = samples.stream().mapToLong(s -> s[1]).sorted().toArray();
    return v[v.length / 2];
  }

  private static String heapSeries(List<long[]> heap) {
    StringBuilder b = new StringBuilder();
    synchronized (heap) {
      for (long[] s : heap) {
        b.append(b.length() == 0 ? "" : " ").append(s[0]).append("s:").append(s[1] >> 20);
      }
    }
    return b.toString();
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  /**
   * Counts messages the server's handler sees twice: a sequence at or below the last one it saw
   * for that session, with no rewind to a checkpoint in between.
   */
  static final class DuplicateCheck {
    final Map<String, Long> last = new ConcurrentHashMap<>();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong rewinds = new AtomicLong();

    SessionHandler wrap(SessionHandler h) {
      return new TransferTest.Delegating(h) {
        @Override
        public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
          Long before = last.put(session.id(), seq);
          if (before != null && seq <= before) {
            duplicates.incrementAndGet();
          }
          super.onMessage(session, seq, message);
        }

        @Override
        public void onInboundRewind(Session session, Checkpoint checkpoint) {
          rewinds.incrementAndGet();
          last.put(session.id(), checkpoint.position());
          super.onInboundRewind(session, checkpoint);
        }

        @Override
        public void onClosed(Session session, Throwable cause) {
          last.remove(session.id());
          super.onClosed(session, cause);
        }
      };
    }
  }
}
