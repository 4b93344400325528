package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.testing.ChaosSpec.Mode;
import dev.lifeline.testing.FaultProxy;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.internal.PlatformDependent;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session protocol numbers for docs/benchmarks.md, not part of the normal test run:
 * <pre>
 * mvn -B -pl benchmarks -am test -Dtest=SessionBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dlifeline.bench=true [-Dlifeline.bench.resumes=300] [-Dlifeline.bench.sessions=2000]
 * </pre>
 * Results are printed and written to {@code benchmarks/target/benchmarks/session-*.md}.
 */
@EnabledIfSystemProperty(named = "lifeline.bench", matches = "true")
class SessionBenchmark {
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
  private static final SessionHandler IGNORE = (session, seq, message) -> { };

  @TempDir Path dir;
  private ResourceLeakDetector.Level level;

  @BeforeEach
  void noLeakTracking() {
    // The test JVM runs with paranoid leak detection (a record per buffer): not for measuring.
    level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
  }

  @AfterEach
  void restore() {
    ResourceLeakDetector.setLevel(level);
  }

  /**
   * Cuts the connection (RST through the proxy) with one message waiting to be sent, and measures
   * from the new connection's TCP connect (the client's handshake event minus its duration) to
   * the server's handler receiving that message on the resumed session.
   */
  @Test
  void resumeLatency() throws Exception {
    int resumes = Integer.getInteger("lifeline.bench.resumes", 300);
    int warmup = Math.max(50, resumes / 5);
    LinkedBlockingQueue<Long> deliveredAt = new LinkedBlockingQueue<>();
    SessionHandler server = (session, seq, message) -> deliveredAt.add(System.nanoTime());
    AtomicLong lastConnectAt = new AtomicLong();
    AtomicLong resumedHandshakes = new AtomicLong();
    AtomicLong fullHandshakes = new AtomicLong();
    HandshakeListener clientHandshakes = event -> {
      if (event.side() == HandshakeEvent.Side.CLIENT && event.succeeded()) {
        lastConnectAt.set(System.nanoTime() - event.durationNanos());
        (event.resumed() ? resumedHandshakes : fullHandshakes).incrementAndGet();
      }
    };
    long[] connectToDelivery = new long[resumes];
    long[] cutToDelivery = new long[resumes];
    try (LifelineServer s = Fixtures.server(dir, server).ioThreads(1).start();
        FaultProxy proxy = FaultProxy.start("127.0.0.1", s.port());
        LifelineClient client = Fixtures.client(dir, proxy.port()).handshakeListener(clientHandshakes)
            .reconnect(Duration.ofMillis(1), Duration.ofMillis(50), Duration.ofSeconds(10))
            .build()) {
      Session session = client.open("latency", IGNORE).get(10, TimeUnit.SECONDS);
      session.send(new byte[16]).get(5, TimeUnit.SECONDS);
      deliveredAt.take();
      for (int i = -warmup; i < resumes; i++) {
        long reconnects = session.stats().reconnects();
        long cut = System.nanoTime();
        proxy.cutAll(Mode.RST);
        session.send(new byte[16]); // waits in the replay buffer until the session is resumed
        long delivered = deliveredAt.poll(10, TimeUnit.SECONDS);
        assertEquals(reconnects + 1, session.stats().reconnects(), "delivered on a resumed connection");
        assertTrue(lastConnectAt.get() > cut, "a new connection was made");
        if (i >= 0) {
          connectToDelivery[i] = delivered - lastConnectAt.get();
          cutToDelivery[i] = delivered - cut;
        }
      }
      String table = String.join("\n",
          "| measured over " + resumes + " resumes (after " + warmup + " warm-up) | p50 ms | p99 ms | max ms |",
          "| --- | ---: | ---: | ---: |",
          row("new TCP connect → first message delivered after resume", connectToDelivery),
          row("cut → first message delivered after resume", cutToDelivery),
          "",
          "TLS provider " + s.tlsProvider() + "; client handshakes resumed/full: "
              + resumedHandshakes.get() + "/" + fullHandshakes.get()) + "\n";
      write("session-resume-latency.md", table);
    }
  }

  private static String row(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format("| %s | %.2f | %.2f | %.2f |", what, percentile(sorted, 50) / 1e6,
        percentile(sorted, 99) / 1e6, sorted[sorted.length - 1] / 1e6);
  }

  private static long percentile(long[] sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, index)];
  }

  /**
   * Opens many idle sessions from one client to one server in this JVM and divides the heap
   * growth by their number: first with both ends connected, then with only the server's sessions
   * left (clients gone, sessions waiting to be resumed).
   */
  @Test
  void heapPerIdleSession() throws Exception {
    int count = Integer.getInteger("lifeline.bench.sessions", 2000);
    // Every session comes from 127.0.0.1: lift the per-source connection limit (1,000 by
    // default) above the count, or the opens past it wait and time out.
    try (LifelineServer server = Fixtures.server(dir, IGNORE).ioThreads(1)
            .maxConnectionsPerSource(count + 100).idleTimeout(Duration.ofMinutes(5)).start()) {
      List<Session> sessions = new ArrayList<>();
      LifelineClient client = Fixtures.client(dir, server.port()).idleTimeout(Duration.ofMinutes(5))
          .build();
      // Warm up every class and pool with a few sessions that stay open through the baseline.
      for (int i = 0; i < 20; i++) {
        sessions.add(client.open("warm-" + i, IGNORE).get(10, TimeUnit.SECONDS));
        sessions.get(i).send(new byte[16]).get(5, TimeUnit.SECONDS);
      }
      long base = usedHeapAfterGc();
      long baseDirect = PlatformDependent.usedDirectMemory();
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        Session s = client.open("idle-" + i, IGNORE).get(10, TimeUnit.SECONDS);
        s.send(new byte[16]).get(5, TimeUnit.SECONDS);
        sessions.add(s);
      }
      double openSeconds = (System.nanoTime() - start) / 1e9;
      assertEquals(count + 20, server.sessionCount());
      long both = usedHeapAfterGc() - base;
      long direct = PlatformDependent.usedDirectMemory() - baseDirect;

      client.close(); // drops every connection; the server keeps its sessions for a resume
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> sessions.stream().noneMatch(Session::isConnected));
      Thread.sleep(1000);
      long serverOnly = usedHeapAfterGc() - base;
      assertEquals(count + 20, server.sessionCount());
      String table = String.join("\n",
          "| " + count + " idle sessions, one JVM | heap per session |",
          "| --- | ---: |",
          String.format("| connected: client + server + two TLS connections | %.1f KiB |",
              both / 1024.0 / count),
          String.format("| server only, waiting for its client to resume | %.1f KiB |",
              serverOnly / 1024.0 / count),
          "",
          String.format("TLS provider %s (its per-connection TLS state is native memory, not "
              + "heap). Opened at %.0f sessions/s. Netty direct memory growth while connected: "
              + "%s.", server.tlsProvider(), count / openSeconds,
              direct < 0 ? "not tracked" : String.format("%.1f KiB per session", direct / 1024.0 / count))) + "\n";
      write("session-memory.md", table);
      assertTrue(both > 0);
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(200);
      used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private static void write(String name, String text) throws Exception {
    System.out.print(text);
    Path out = Path.of("target", "benchmarks", name);
    Files.createDirectories(out.getParent());
    Files.writeString(out, text);
  }
}
