package dev.lifeline;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.FileCheckpointStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link DurableReceiver} between a real server and client on loopback TLS, its sink a real
 * file ({@link FileSink}): it checkpoints on each bound of its cadence, a message is
 * acknowledged to its sender only once the sink's sync covered it, a restarted server's sink is
 * rewound to the last checkpoint before any later message, and a client receives the same way.
 * Whether a message is acknowledged is read from the sender's send future.
 */
class DurableReceiverTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration NEVER = Duration.ofHours(1);

  @TempDir Path dir;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void checkpointsEveryNMessages() throws Exception {
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .everyMessages(5).everyBytes(1 << 30).every(NEVER).build();
    Session session = clientOf(startServer(receiver, null));
    List<CompletableFuture<Void>> acked = sendRecords(session, 1, 12, 16);

    awaitAll(acked.subList(0, 10));
    await().atMost(WAIT).until(() -> log.written == 12);
    assertEquals(List.of(5L, 10L), syncsAfterQueuedCallbacks(log));
    assertFalse(acked.get(10).isDone() || acked.get(11).isDone(), "11 and 12 were never synced");
    DurableReceiver.Stats stats = receiver.stats();
    assertEquals(2, stats.checkpointsByMessages());
    assertEquals(0, stats.checkpointsByBytes() + stats.checkpointsByTime());
    assertEquals(12, stats.messages());
  }

  @Test
  void checkpointsEveryBBytes() throws Exception {
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .everyBytes(1_000).every(NEVER).build();
    Session session = clientOf(startServer(receiver, null));
    // 300 bytes each: the fourth passes 1,000 bytes.
    List<CompletableFuture<Void>> acked = sendRecords(session, 1, 9, 300);

    awaitAll(acked.subList(0, 8));
    await().atMost(WAIT).until(() -> log.written == 9);
    assertEquals(List.of(4L, 8L), syncsAfterQueuedCallbacks(log));
    assertFalse(acked.get(8).isDone(), "9 was never synced");
    assertEquals(2, receiver.stats().checkpointsByBytes());
    assertEquals(2, receiver.stats().checkpoints());
  }

  @Test
  void aLoneMessageIsAcknowledgedWithinTheTimeBoundWithoutMoreTraffic() throws Exception {
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .every(Duration.ofMillis(20)).build();
    Session session = clientOf(startServer(receiver, null));

    long start = System.nanoTime();
    sendRecords(session, 1, 1, 64).get(0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(tookMillis >= 20, "acknowledged before the time bound: " + tookMillis + " ms");
    assertEquals(List.of(1L), log.syncs());
    assertEquals(1, receiver.stats().checkpointsByTime());
    await().atMost(WAIT).until(() -> receiver.stats().checkpointsDurable() == 1);
  }

  /** With the timer driven by hand: nothing but the timer's flush acknowledges the message. */
  @Test
  void theTimerFlushIsWhatAcknowledgesALoneMessage() throws Exception {
    ManualTimer timer = new ManualTimer();
    closing.add(timer::shutdownNow);
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .every(Duration.ofMillis(5)).timer(timer).build();
    Session session = clientOf(startServer(receiver, null));

    CompletableFuture<Void> first = sendRecords(session, 1, 1, 64).get(0);
    await().atMost(WAIT).until(() -> log.written == 1);
    assertEquals(List.of(), syncsAfterQueuedCallbacks(log));
    assertEquals(1, timer.scheduled.size(), "one flush scheduled for the first message");
    assertFalse(first.isDone(), "acknowledged with no sync");

    timer.fireAll();
    first.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(List.of(1L), log.syncs());

    // The next lone message schedules its own flush.
    CompletableFuture<Void> second = sendRecords(session, 2, 2, 64).get(0);
    await().atMost(WAIT).until(() -> timer.scheduled.size() == 1);
    timer.fireAll();
    second.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(List.of(1L, 2L), log.syncs());
  }

  @Test
  void sendFuturesCompleteOnlyAfterTheSinksSyncCoveredThem() throws Exception {
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .everyMessages(7).every(Duration.ofMillis(2)).build();
    Session session = clientOf(startServer(receiver, null));
    ConcurrentLinkedQueue<String> early = new ConcurrentLinkedQueue<>();

    List<CompletableFuture<Void>> acked = sendRecords(session, 1, 300, 100);
    for (int i = 0; i < acked.size(); i++) {
      long seq = i + 1;
      acked.get(i).thenRun(() -> {
        long synced = log.syncedUpTo;
        if (synced < seq) {
          early.add("message " + seq + " acknowledged with the sink synced up to " + synced);
        }
      });
    }
    awaitAll(acked);
    assertTrue(early.isEmpty(), early.size() + " acknowledged before their sync, the first: "
        + early.stream().limit(3).toList());
    assertEquals(300, log.records().size());
  }

  @Test
  void aRestartedServerRewindsTheSinkToTheLastCheckpointBeforeAnyLaterMessage() throws Exception {
    Path out = dir.resolve("out");
    Path storeDir = dir.resolve("server-store");
    FileSink.Log firstLog = new FileSink.Log(out);
    FileCheckpointStore firstStore = FileCheckpointStore.open(storeDir);
    LifelineServer first = LifelineServer.builder().tls(serverTls()).store(firstStore)
        .handler(DurableReceiver.builder(FileSink.factory(firstLog))
            .everyMessages(4).every(NEVER).build())
        .start();
    int port = first.port();
    Session session = clientOf(first);
    List<CompletableFuture<Void>> acked = sendRecords(session, 1, 10, 32);
    awaitAll(acked.subList(0, 8));
    await().atMost(WAIT).until(() -> firstLog.written == 10); // 9, 10 written, never synced
    long durableLength = 8 * (4 + 32);
    assertEquals(10 * (4 + 32), java.nio.file.Files.size(out));

    first.close();
    firstStore.close();
    FileSink.Log secondLog = new FileSink.Log(out);
    FileCheckpointStore secondStore = FileCheckpointStore.open(storeDir);
    closing.add(secondStore);
    LifelineServer second = LifelineServer.builder().tls(serverTls()).store(secondStore)
        .port(port)
        .handler(DurableReceiver.builder(FileSink.factory(secondLog))
            .everyMessages(4).every(NEVER).build())
        .start();
    closing.add(second);

    acked.addAll(sendRecords(session, 11, 12, 32));
    awaitAll(acked);
    assertEquals(List.of("rewind 8 " + durableLength, "write 9", "write 10", "write 11",
        "write 12", "sync 12"), secondLog.events());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), secondLog.records());
  }

  @Test
  void aClientReceivesDurablyToo() throws Exception {
    CompletableFuture<Session> serverSide = new CompletableFuture<>();
    LifelineServer server = startServer(new SessionHandler() {
      @Override
      public void onOpen(Session session) {
        serverSide.complete(session);
      }
    }, null);
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .everyMessages(6).every(Duration.ofMillis(10)).build();
    LifelineClient client = client(server.port());
    client.open("download", receiver).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    Session sender = serverSide.get(WAIT.toSeconds(), TimeUnit.SECONDS);

    awaitAll(sendRecords(sender, 1, 20, 48));
    assertTrue(log.syncedUpTo == 20, "synced up to " + log.syncedUpTo);
    assertEquals(20, log.records().size());
    assertTrue(receiver.stats().checkpointsByMessages() >= 3);
  }

  @Test
  void aFailingSinkEndsTheSessionWithApplicationErrorAndItsMessage() throws Exception {
    DurableReceiver receiver = DurableReceiver.builder(session -> new DurableReceiver.Sink() {
      @Override
      public void write(long seq, ByteBuffer message) throws IOException {
        if (seq == 3) {
          throw new IOException("disk on fire at message 3");
        }
      }

      @Override
      public byte[] sync() {
        return new byte[0];
      }
    }).build();
    Session session = clientOf(startServer(receiver, null));
    sendRecords(session, 1, 3, 16);

    ExecutionException e = assertThrows(ExecutionException.class,
        () -> session.closeFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    SessionRefusedException refused = assertInstanceOf(SessionRefusedException.class, e.getCause());
    assertEquals(ErrorCode.APPLICATION_ERROR, refused.code());
    assertTrue(refused.getMessage().contains("disk on fire at message 3"), refused.getMessage());
    await().atMost(WAIT).until(() -> receiver.sessions() == 0);
  }

  @Test
  void aFailingTimerSyncEndsTheSessionToo() throws Exception {
    DurableReceiver receiver = DurableReceiver.builder(session -> new DurableReceiver.Sink() {
      @Override
      public void write(long seq, ByteBuffer message) {}

      @Override
      public byte[] sync() throws IOException {
        throw new IOException("fsync failed");
      }
    }).every(Duration.ofMillis(1)).build();
    Session session = clientOf(startServer(receiver, null));
    sendRecords(session, 1, 1, 16);

    ExecutionException e = assertThrows(ExecutionException.class,
        () -> session.closeFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    SessionRefusedException refused = assertInstanceOf(SessionRefusedException.class, e.getCause());
    assertEquals(ErrorCode.APPLICATION_ERROR, refused.code());
    assertTrue(refused.getMessage().contains("fsync failed"), refused.getMessage());
  }

  @Test
  void theBuilderRefusesBoundsThatCannotWork() {
    DurableReceiver.Builder b = DurableReceiver.builder(session -> null);
    assertEquals("everyMessages: 0 (expected: > 0)", assertThrows(
        IllegalArgumentException.class, () -> b.everyMessages(0)).getMessage());
    assertEquals("everyBytes: 0 (expected: >= 1)", assertThrows(
        IllegalArgumentException.class, () -> b.everyBytes(0)).getMessage());
    assertEquals("every: PT-1S (expected: > 0)", assertThrows(
        IllegalArgumentException.class, () -> b.every(Duration.ofSeconds(-1))).getMessage());
    assertEquals("every: PT0S (expected: > 0)", assertThrows(
        IllegalArgumentException.class, () -> b.every(Duration.ZERO)).getMessage());
    assertThrows(NullPointerException.class,
        () -> DurableReceiver.builder(null));
    assertFalse(b.build().autoAcknowledge(), "acknowledges through checkpoints only");
  }

  // ------------------------------------------------------------------------------ fixtures

  private ServerTlsConfig serverTls() throws Exception {
    return ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build();
  }

  private LifelineServer startServer(SessionHandler handler, Integer port) throws Exception {
    LifelineServer.Builder b = LifelineServer.builder().tls(serverTls()).handler(handler);
    if (port != null) {
      b.port(port);
    }
    LifelineServer server = b.start();
    closing.add(server);
    return server;
  }

  private LifelineClient client(int port) throws Exception {
    LifelineClient client = LifelineClient.builder()
        .server("127.0.0.1", port)
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build())
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(60))
        .build();
    closing.add(client);
    return client;
  }

  /** A client session that only sends. */
  private Session clientOf(LifelineServer server) throws Exception {
    return client(server.port()).open("upload", new SessionHandler() {})
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Sends records {@code from..to}, each {@code size} bytes beginning with its number. */
  private static List<CompletableFuture<Void>> sendRecords(Session session, long from, long to,
      int size) throws Exception {
    List<CompletableFuture<Void>> acked = new ArrayList<>();
    for (long n = from; n <= to; n++) {
      acked.add(session.send(ByteBuffer.allocate(size).putLong(n).array()));
    }
    return acked;
  }

  private static void awaitAll(List<CompletableFuture<Void>> futures) throws Exception {
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * The sink's syncs once every callback already queued for its session has run: queued from
   * the test after the last message reached the sink, the task runs after that message's
   * onMessage returned, cadence decision included.
   */
  private static List<Long> syncsAfterQueuedCallbacks(FileSink.Log log) throws Exception {
    CompletableFuture<List<Long>> syncs = new CompletableFuture<>();
    log.session.runInOrder(() -> syncs.complete(log.syncs()));
    return syncs.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** A scheduler whose delayed tasks run only when the test fires them. */
  private static final class ManualTimer extends java.util.concurrent.ScheduledThreadPoolExecutor {
    final ConcurrentLinkedQueue<Runnable> scheduled = new ConcurrentLinkedQueue<>();

    ManualTimer() {
      super(1);
    }

    @Override
    public java.util.concurrent.ScheduledFuture<?> schedule(Runnable task, long delay,
        TimeUnit unit) {
      scheduled.add(task);
      return super.schedule(() -> {}, 0, unit);
    }

    void fireAll() {
      for (Runnable r; (r = scheduled.poll()) != null; ) {
        r.run();
      }
    }
  }
}
