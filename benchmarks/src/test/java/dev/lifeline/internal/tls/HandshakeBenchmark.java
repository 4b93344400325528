package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeStats;
import dev.lifeline.TlsProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.EventExecutor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handshake cost, full vs resumed, per provider and protocol: sequential connections over loopback
 * (connect, handshake, server greeting, close), the client and server each on their own single
 * event loop thread. Reports handshakes per second, mean wall time per connection, and the server
 * thread's CPU time per handshake. Not part of the normal test run; see docs/benchmarks.md:
 * <pre>
 * mvn -B -pl benchmarks -am test -Dtest=HandshakeBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dlifeline.bench=true [-Dlifeline.bench.seconds=5]
 * </pre>
 * The table is also written to {@code benchmarks/target/benchmarks/tls-handshakes.md}. It lives
 * in package {@code dev.lifeline.internal.tls}, beside core's TLS test fixtures (core's test-jar),
 * for the package-private {@link ServerTls} factory that takes a clock.
 */
@EnabledIfSystemProperty(named = "lifeline.bench", matches = "true")
class HandshakeBenchmark {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  @TempDir
  Path dir;

  @Test
  void fullVersusResumed() throws Exception {
    long seconds = Long.getLong("lifeline.bench.seconds", 5);
    // The test JVM runs with paranoid leak detection (a stack trace per buffer); not for timing.
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    try {
      measureAll(seconds);
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
  }

  private void measureAll(long seconds) throws Exception {
    List<String> rows = new ArrayList<>();
    rows.add("| provider | protocol | handshake | handshakes/s | µs per connection | server CPU µs per handshake |");
    rows.add("| --- | --- | --- | ---: | ---: | ---: |");
    for (TlsProvider provider : TlsTestSupport.providers()) {
      for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
        for (boolean resumed : new boolean[] {false, true}) {
          rows.add(measure(provider, protocol, resumed, seconds));
        }
      }
    }
    String table = String.join("\n", rows) + "\n";
    System.out.print(table);
    Path out = Path.of("target", "benchmarks", "tls-handshakes.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table);
  }

  private String measure(TlsProvider provider, String protocol, boolean resumed, long seconds)
      throws Exception {
    EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    HandshakeStats stats = new HandshakeStats();
    try (ServerTls server = ServerTls.create(TlsTestSupport.server(dir, provider).build(), stats,
            Clock.systemUTC(), false);
        TlsTestServer listener = new TlsTestServer(server, serverGroup, 0, false);
        ClientTls client = ClientTls.create(TlsTestSupport.client(dir, provider, protocol), stats)) {
      List<Long> serverThreads = threadIds(serverGroup);
      run(client, clientGroup, listener.port(), resumed, seconds * 1_000_000_000L / 3); // warm-up
      HandshakeStats.Snapshot before = stats.snapshot();
      long cpuBefore = cpu(serverThreads);
      long start = System.nanoTime();
      int count = run(client, clientGroup, listener.port(), resumed, seconds * 1_000_000_000L);
      long elapsed = System.nanoTime() - start;
      long cpu = cpu(serverThreads) - cpuBefore;
      HandshakeStats.Snapshot after = stats.snapshot();
      long counted = resumed
          ? after.resumed(HandshakeEvent.Side.SERVER) - before.resumed(HandshakeEvent.Side.SERVER)
          : after.full(HandshakeEvent.Side.SERVER) - before.full(HandshakeEvent.Side.SERVER);
      assertEquals(count, counted, "handshakes were not all " + (resumed ? "resumed" : "full"));
      return String.format("| %s | %s | %s | %.0f | %.0f | %.0f |", server.providerName(),
          protocol, resumed ? "resumed" : "full", count * 1e9 / elapsed, elapsed / 1e3 / count,
          cpu / 1e3 / count);
    } finally {
      serverGroup.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).sync();
      clientGroup.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).sync();
    }
  }

  private static int run(ClientTls client, EventLoopGroup group, int port, boolean resumed,
      long nanos) throws Exception {
    int count = 0;
    if (resumed) {
      TlsTestClient.connectOnce(client, group, "localhost", "127.0.0.1", port); // prime
      count++;
    }
    long deadline = System.nanoTime() + nanos;
    while (System.nanoTime() < deadline) {
      if (!resumed) {
        client.forgetSessions();
      }
      TlsTestClient.connectOnce(client, group, "localhost", "127.0.0.1", port);
      count++;
    }
    return count;
  }

  private static List<Long> threadIds(EventLoopGroup group) throws Exception {
    List<Long> ids = new ArrayList<>();
    for (EventExecutor executor : group) {
      ids.add(executor.submit(() -> Thread.currentThread().getId()).get());
    }
    return ids;
  }

  private static long cpu(List<Long> threads) {
    long total = 0;
    for (long id : threads) {
      total += THREADS.getThreadCpuTime(id);
    }
    return total;
  }
}
