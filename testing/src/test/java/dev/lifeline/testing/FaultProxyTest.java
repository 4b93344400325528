package dev.lifeline.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.testing.ChaosSpec.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {

  private static final int SILENCE_MILLIS = 500;

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    toClose.add(resource);
    return resource;
  }

  private FaultProxy proxyTo(TargetServer target) throws IOException {
    return closing(FaultProxy.start("127.0.0.1", target.port()));
  }

  private Socket connect(FaultProxy proxy) throws IOException {
    final Socket socket = closing(new Socket(InetAddress.getLoopbackAddress(), proxy.port()));
    socket.setSoTimeout(10_000);
    return socket;
  }

  /** How a read of the streamed pattern ended, and how many intact bytes came before. */
  private record Outcome(long bytes, String end) {}

  /** Reads {@link TargetServer#PATTERN} until the end, checking every byte. */
  private static Outcome readPattern(Socket socket, int silenceMillis) throws IOException {
    return readPattern(socket, silenceMillis, Long.MAX_VALUE);
  }

  /** Reads {@link TargetServer#PATTERN} until the end or {@code limit} bytes ("limit"). */
  private static Outcome readPattern(Socket socket, int silenceMillis, long limit)
      throws IOException {
    socket.setSoTimeout(silenceMillis);
    final InputStream in = socket.getInputStream();
    final byte[] buf = new byte[64 * 1024];
    long total = 0;
    try {
      for (int n; total < limit
          && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - total))) >= 0; total += n) {
        for (int i = 0; i < n; i++) {
          final int expected = TargetServer.PATTERN[(int) ((total + i) % TargetServer.PATTERN.length)];
          assertEquals(expected, buf[i], "byte " + (total + i) + " corrupted");
        }
      }
      return new Outcome(total, total == limit ? "limit" : "eof");
    } catch (SocketTimeoutException e) {
      return new Outcome(total, "silence");
    } catch (SocketException e) {
      return new Outcome(total, e.getMessage());
    }
  }

  /** Reads and discards until the connection ends; returns how it ended. */
  private static String readToEnd(Socket socket, int silenceMillis) throws IOException {
    socket.setSoTimeout(silenceMillis);
    final byte[] buf = new byte[64 * 1024];
    try {
      while (socket.getInputStream().read(buf) >= 0) {
        // discard
      }
      return "eof";
    } catch (SocketTimeoutException e) {
      return "silence";
    } catch (SocketException e) {
      return e.getMessage();
    }
  }

  private static long expectedCut(String spec, long seed, int nth) {
    final ChaosSpec parsed = ChaosSpec.parse(spec);
    final SplittableRandom random = new SplittableRandom(seed);
    ChaosSpec.Cut cut = null;
    for (int i = 0; i <= nth; i++) {
      cut = parsed.nextCut(random);
    }
    return cut.afterBytes();
  }

  @Test
  void withoutPlanBytesPassIntactBothWays() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.echo()));
    final Socket socket = connect(proxy);
    final byte[] data = new byte[16 << 20];
    new SplittableRandom(1).nextBytes(data);

    final CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try {
        final OutputStream out = socket.getOutputStream();
        out.write(data);
        socket.shutdownOutput(); // the half-close must reach the echo server through the proxy
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    final byte[] back = socket.getInputStream().readAllBytes();
    writer.get(30, TimeUnit.SECONDS);

    assertArrayEquals(sha256(data), sha256(back));
    assertEquals(1, proxy.connectionsAccepted());
    assertEquals(0, proxy.cuts());
  }

  @Test
  void rstPlanResetsTheClientWithinTheRange() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    proxy.setPlan("cut=100K..300K,mode=rst", 5);
    final Outcome outcome = readPattern(connect(proxy), 10_000);
    assertEquals("Connection reset", outcome.end());
    assertTrue(outcome.bytes() <= 300 * 1024, "read " + outcome.bytes());
    assertEquals(1, proxy.cuts(Mode.RST));
  }

  @Test
  void finPlanEndsTheStreamAfterExactlyTheDrawnBytes() throws Exception {
    final String spec = "cut=100K..300K,mode=fin";
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    proxy.setPlan(spec, 77);
    final Outcome outcome = readPattern(connect(proxy), 10_000);
    assertEquals("eof", outcome.end());
    final long expected = expectedCut(spec, 77, 0);
    assertTrue(expected >= 100 * 1024 && expected <= 300 * 1024);
    assertEquals(expected, outcome.bytes());
    assertEquals(1, proxy.cuts(Mode.FIN));
  }

  @Test
  void blackholePlanGoesSilentWithoutClosing() throws Exception {
    final String spec = "cut=50K..80K,mode=blackhole";
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    proxy.setPlan(spec, 3);
    final Socket socket = connect(proxy);

    final Outcome outcome = readPattern(socket, SILENCE_MILLIS);

    assertEquals("silence", outcome.end());
    assertEquals(expectedCut(spec, 3, 0), outcome.bytes());
    socket.getOutputStream().write(new byte[1000]); // still open: writes vanish without error
    assertEquals("silence", readPattern(socket, SILENCE_MILLIS).end());
    assertEquals(1, proxy.liveConnections());
    assertEquals(1, proxy.cuts(Mode.BLACKHOLE));
  }

  @Test
  void bothDirectionsShareOneBudget() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.echo()));
    proxy.setPlan("cut=10000,mode=fin", 1);
    final Socket socket = connect(proxy);
    socket.getOutputStream().write(new byte[6000]);
    final byte[] back = socket.getInputStream().readAllBytes(); // until the FIN
    assertEquals(4000, back.length, "6000 up + 4000 down = the 10000-byte budget");
  }

  @Test
  void countLimitsCutsAndSameSeedGivesSameCuts() throws Exception {
    final String spec = "cut=20K..40K,mode=mix,count=3";
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    proxy.setPlan(spec, 9);
    final Map<Mode, Integer> expected = new EnumMap<>(Mode.class);
    final SplittableRandom random = new SplittableRandom(9);
    for (int i = 0; i < 3; i++) {
      expected.merge(ChaosSpec.parse(spec).nextCut(random).mode(), 1, Integer::sum);
      final Outcome cut = readPattern(connect(proxy), SILENCE_MILLIS);
      assertTrue(cut.bytes() <= 40 * 1024, "connection " + i + " read " + cut.bytes());
    }
    // The fourth connection runs clean: it carries far more than MAX and never ends.
    final Socket clean = connect(proxy);
    clean.getInputStream().readNBytes(1 << 20);
    for (Mode mode : List.of(Mode.RST, Mode.FIN, Mode.BLACKHOLE)) {
      assertEquals(expected.getOrDefault(mode, 0).longValue(), proxy.cuts(mode), mode.name());
    }
    assertEquals(3, proxy.cuts());
    assertEquals(4, proxy.connectionsAccepted());
  }

  @Test
  void connectionEndingBeforeItsCutGivesTheCutBack() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.greeting("hello\n")));
    proxy.setPlan("cut=1M,mode=rst,count=1", 1);
    try (Socket first = connect(proxy)) {
      assertEquals("hello\n", new String(first.getInputStream().readAllBytes(), US_ASCII));
    }
    await(() -> proxy.liveConnections() == 0);
    assertEquals(0, proxy.cuts());

    proxy.setTarget("127.0.0.1", closing(TargetServer.stream()).port());
    final Outcome second = readPattern(connect(proxy), 10_000);
    assertEquals("Connection reset", second.end(), "the unused cut went to the next connection");
  }

  @Test
  void cutAllCutsEveryLiveConnection() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    final Socket a = connect(proxy);
    final Socket b = connect(proxy);
    a.getInputStream().readNBytes(1000);
    b.getInputStream().readNBytes(1000);
    await(() -> proxy.liveConnections() == 2);

    proxy.blackholeAll();
    drain(a);
    drain(b);
    assertEquals("silence", readToEnd(a, SILENCE_MILLIS));

    proxy.cutAll(Mode.FIN); // a black hole can still end in a FIN
    assertEquals(-1, a.getInputStream().read());
    assertEquals(-1, b.getInputStream().read());
    assertEquals(2, proxy.cuts(Mode.BLACKHOLE));
    assertEquals(2, proxy.cuts(Mode.FIN));

    proxy.cutAll(Mode.RST); // already finished: left alone
    assertEquals(0, proxy.cuts(Mode.RST));
    assertThrows(IllegalArgumentException.class, () -> proxy.cutAll(Mode.MIX));
  }

  @Test
  void cutAllByResetResetsTheClient() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    final Socket socket = connect(proxy);
    socket.getInputStream().readNBytes(1000);
    proxy.cutAll(Mode.RST);
    final SocketException e = assertThrows(SocketException.class, () -> drain(socket));
    assertEquals("Connection reset", e.getMessage());
  }

  @Test
  void setTargetMovesNewConnections() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.greeting("node-1\n")));
    try (Socket first = connect(proxy)) {
      assertEquals("node-1\n", new String(first.getInputStream().readAllBytes(), US_ASCII));
    }
    proxy.setTarget("127.0.0.1", closing(TargetServer.greeting("node-2\n")).port());
    try (Socket second = connect(proxy)) {
      assertEquals("node-2\n", new String(second.getInputStream().readAllBytes(), US_ASCII));
    }
  }

  @Test
  void unreachableTargetResetsTheClient() throws Exception {
    final int deadPort;
    try (TargetServer gone = TargetServer.echo()) {
      deadPort = gone.port();
    }
    final FaultProxy proxy = closing(FaultProxy.start("127.0.0.1", deadPort));
    final Socket socket = connect(proxy);
    final SocketException e = assertThrows(SocketException.class, () -> drain(socket));
    assertEquals("Connection reset", e.getMessage());
    assertEquals(1, proxy.connectionsAccepted());
  }

  @Test
  void closeLeavesNoThreadsAndNoListener() throws Exception {
    final TargetServer target = closing(TargetServer.stream());
    final FaultProxy proxy = FaultProxy.start("127.0.0.1", target.port());
    final String prefix = proxy.threadNamePrefix();
    final List<Socket> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      clients.add(connect(proxy));
      clients.get(i).getInputStream().readNBytes(100);
    }
    proxy.cutAll(Mode.BLACKHOLE); // the hardest to tear down: nothing ends by itself
    assertTrue(proxyThreads(prefix) >= 9, "threads under test: " + proxyThreads(prefix));

    proxy.close();

    assertEquals(0, proxyThreads(prefix), "proxy threads alive after close");
    assertEquals(0, proxy.liveConnections());
    assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), proxy.port()));
    for (Socket client : clients) {
      assertEquals("eof", readToEnd(client, 5_000), "client saw the proxy close");
    }
    proxy.close(); // idempotent
  }

  @Test
  void latencyDelaysEachDirection() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.echo()));
    proxy.setLatency(Duration.ofMillis(25), 1 << 20);
    final Socket socket = connect(proxy);
    final long start = System.nanoTime();
    socket.getOutputStream().write(42);
    assertEquals(42, socket.getInputStream().read());
    final long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis >= 50, "a round trip through 25 ms each way took " + millis + " ms");
  }

  @Test
  void bytesPassIntactAndInOrderThroughLatency() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.echo()));
    proxy.setLatency(Duration.ofMillis(5), 100_000); // not a multiple of the proxy's buffer
    final Socket socket = connect(proxy);
    final byte[] data = new byte[4 << 20];
    new SplittableRandom(7).nextBytes(data);

    final CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try {
        socket.getOutputStream().write(data);
        socket.shutdownOutput(); // the half-close must follow the delayed bytes, not pass them
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    final byte[] back = socket.getInputStream().readAllBytes();
    writer.get(30, TimeUnit.SECONDS);

    assertArrayEquals(sha256(data), sha256(back));
    assertTrue(proxy.delayLineHighWaterBytes() <= 100_000, "" + proxy.delayLineHighWaterBytes());
  }

  @Test
  void aFullDelayLineStopsReadingItsSender() throws Exception {
    final int maxInFlight = 256 * 1024;
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    proxy.setLatency(Duration.ofMillis(1), maxInFlight);
    final Socket socket = connect(proxy);
    // The client reads nothing: the socket buffers fill, then the line, then the target waits.
    // Without the bound the line would grow as fast as the target writes, far past it.
    await(() -> proxy.delayLineHighWaterBytes() > maxInFlight - ProxiedConnection.BUFFER_BYTES);
    final Outcome read = readPattern(socket, SILENCE_MILLIS, 16 << 20);
    assertEquals(16 << 20, read.bytes(), read.end());
    assertTrue(proxy.delayLineHighWaterBytes() <= maxInFlight,
        "held " + proxy.delayLineHighWaterBytes() + " bytes, more than " + maxInFlight);
  }

  @Test
  void plannedCutWithLatencyHappensWhenItsByteArrives() throws Exception {
    final String spec = "cut=100K..300K,mode=fin";
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    proxy.setLatency(Duration.ofMillis(10), 1 << 20);
    proxy.setPlan(spec, 77);
    final Outcome outcome = readPattern(connect(proxy), 10_000);
    assertEquals("eof", outcome.end());
    assertEquals(expectedCut(spec, 77, 0), outcome.bytes(), "the bytes before the FIN arrive");
    assertEquals(1, proxy.cuts(Mode.FIN));
  }

  @Test
  void cutAllWithLatencyStillCuts() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    proxy.setLatency(Duration.ofMillis(10), 1 << 20);
    final Socket reset = connect(proxy);
    reset.getInputStream().readNBytes(1000);
    proxy.cutAll(Mode.RST);
    final SocketException e = assertThrows(SocketException.class, () -> drain(reset));
    assertEquals("Connection reset", e.getMessage());

    final Socket silenced = connect(proxy);
    silenced.getInputStream().readNBytes(1000);
    proxy.blackholeAll(); // what the line still held is dropped: nothing more arrives
    drain(silenced);
    assertEquals("silence", readToEnd(silenced, SILENCE_MILLIS));
    proxy.cutAll(Mode.FIN);
    assertEquals(-1, silenced.getInputStream().read());
  }

  @Test
  void closeWithLatencyLeavesNoThreads() throws Exception {
    final FaultProxy proxy = FaultProxy.start("127.0.0.1", closing(TargetServer.stream()).port());
    proxy.setLatency(Duration.ofMillis(50), 1 << 20);
    final String prefix = proxy.threadNamePrefix();
    final Socket silenced = connect(proxy);
    silenced.getInputStream().readNBytes(100);
    proxy.cutAll(Mode.BLACKHOLE); // both its lines wait for bytes that never come
    final Socket busy = connect(proxy);
    busy.getInputStream().readNBytes(100); // and no more: its line fills, its pump waits for room
    await(() -> proxyThreads(prefix) == 9); // an acceptor and four threads per connection
    await(() -> waiting(prefix + "2-down"));

    proxy.close();

    assertEquals(0, proxyThreads(prefix), "proxy threads alive after close");
    assertEquals("eof", readToEnd(busy, 5_000));
  }

  @Test
  void latencyAppliesToConnectionsAcceptedAfterItUntilCleared() throws Exception {
    final FaultProxy proxy = proxyTo(closing(TargetServer.stream()));
    final String prefix = proxy.threadNamePrefix();
    assertThrows(IllegalArgumentException.class, () -> proxy.setLatency(Duration.ofMillis(-1), 1));
    assertThrows(IllegalArgumentException.class, () -> proxy.setLatency(Duration.ZERO, 0));
    connect(proxy).getInputStream().readNBytes(100);
    proxy.setLatency(Duration.ofMillis(5), 1 << 20);
    connect(proxy).getInputStream().readNBytes(100);
    proxy.clearLatency();
    connect(proxy).getInputStream().readNBytes(100);
    // Two threads per connection, two more for the one accepted while latency was on.
    await(() -> proxyThreads(prefix) == 1 + 2 + 4 + 2);
    await(() -> proxyThreads(prefix + "2-") == 4);
  }

  private static boolean waiting(String threadName) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals(threadName) && t.getState() == Thread.State.WAITING);
  }

  private static int proxyThreads(String prefix) {
    return (int) Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
        .count();
  }

  /** Reads whatever is in flight until the connection has been quiet for a while. */
  private static void drain(Socket socket) throws IOException {
    socket.setSoTimeout(SILENCE_MILLIS);
    final byte[] buf = new byte[64 * 1024];
    try {
      while (socket.getInputStream().read(buf) >= 0) {
        // discard
      }
    } catch (SocketTimeoutException e) {
      // quiet: done
    }
  }

  private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "condition not met within 10 s");
      Thread.sleep(10);
    }
  }

  private static byte[] sha256(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }
}
