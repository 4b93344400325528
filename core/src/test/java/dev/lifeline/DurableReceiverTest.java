package dev.lifeline;

import static dev.lifeline.ReceiverEnds.WAIT;
import static dev.lifeline.ReceiverEnds.awaitAll;
import static dev.lifeline.ReceiverEnds.sendRecords;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.FileCheckpointStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
  private static final Duration NEVER = Duration.ofHours(1);

  @TempDir Path dir;
  private ReceiverEnds ends;

  @BeforeEach
  void ends() {
    ends = new ReceiverEnds(dir);
  }

  @AfterEach
  void close() throws Exception {
    ends.close();
  }

  @Test
  void checkpointsEveryNMessages() throws Exception {
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .everyMessages(5).everyBytes(1 << 30).every(NEVER).build();
    Session session = ends.sender(ends.server(receiver));
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
    Session session = ends.sender(ends.server(receiver));
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
    Session session = ends.sender(ends.server(receiver));

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
    ends.closeLater(timer::shutdownNow);
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .every(Duration.ofMillis(5)).timer(timer).build();
    Session session = ends.sender(ends.server(receiver));

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
    Session session = ends.sender(ends.server(receiver));
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
    LifelineServer first = LifelineServer.builder().tls(ends.serverTls()).store(firstStore)
        .handler(DurableReceiver.builder(FileSink.factory(firstLog))
            .everyMessages(4).every(NEVER).build())
        .start();
    int port = first.port();
    Session session = ends.sender(first);
    List<CompletableFuture<Void>> acked = sendRecords(session, 1, 10, 32);
    awaitAll(acked.subList(0, 8));
    await().atMost(WAIT).until(() -> firstLog.written == 10); // 9, 10 written, never synced
    long durableLength = 8 * (4 + 32);
    assertEquals(10 * (4 + 32), java.nio.file.Files.size(out));

    first.close();
    firstStore.close();
    FileSink.Log secondLog = new FileSink.Log(out);
    FileCheckpointStore secondStore = FileCheckpointStore.open(storeDir);
    ends.closeLater(secondStore);
    LifelineServer second = LifelineServer.builder().tls(ends.serverTls()).store(secondStore)
        .port(port)
        .handler(DurableReceiver.builder(FileSink.factory(secondLog))
            .everyMessages(4).every(NEVER).build())
        .start();
    ends.closeLater(second);

    acked.addAll(sendRecords(session, 11, 12, 32));
    awaitAll(acked);
    assertEquals(List.of("rewind 8 " + durableLength, "write 9", "write 10", "write 11",
        "write 12", "sync 12"), secondLog.events());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), secondLog.records());
  }

  @Test
  void aClientReceivesDurablyToo() throws Exception {
    CompletableFuture<Session> serverSide = new CompletableFuture<>();
    LifelineServer server = ends.server(new SessionHandler.SendOnly() {
      @Override
      public void onOpen(Session session) {
        serverSide.complete(session);
      }
    });
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .everyMessages(6).every(Duration.ofMillis(10)).build();
    LifelineClient client = ends.client(server.port());
    client.open("download", receiver).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    Session sender = serverSide.get(WAIT.toSeconds(), TimeUnit.SECONDS);

    awaitAll(sendRecords(sender, 1, 20, 48));
    assertTrue(log.syncedUpTo == 20, "synced up to " + log.syncedUpTo);
    assertEquals(20, log.records().size());
    assertTrue(receiver.stats().checkpoints() >= 1, receiver.stats().toString());
  }

  @Test
  void aRestartedClientRewindsTheSinkToTheLastCheckpointBeforeAnyLaterMessage() throws Exception {
    CompletableFuture<Session> serverSide = new CompletableFuture<>();
    LifelineServer server = ends.server(new SessionHandler.SendOnly() {
      @Override
      public void onOpen(Session session) {
        serverSide.complete(session);
      }
    });
    Path out = dir.resolve("out");
    Path clientState = dir.resolve("client-store");
    FileSink.Log firstLog = new FileSink.Log(out);
    FileCheckpointStore firstStore = FileCheckpointStore.open(clientState);
    LifelineClient first = ends.client(server.port(), firstStore);
    first.open("download", DurableReceiver.builder(FileSink.factory(firstLog))
        .everyMessages(4).every(NEVER).build()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    Session sender = serverSide.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    List<CompletableFuture<Void>> acked = sendRecords(sender, 1, 6, 40);
    awaitAll(acked.subList(0, 4));
    await().atMost(WAIT).until(() -> firstLog.written == 6); // 5, 6 written, never synced

    first.close();
    firstStore.close();
    FileSink.Log secondLog = new FileSink.Log(out);
    FileCheckpointStore secondStore = ends.closeLater(FileCheckpointStore.open(clientState));
    ends.client(server.port(), secondStore).open("download",
        DurableReceiver.builder(FileSink.factory(secondLog)).everyMessages(4).every(NEVER).build())
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    acked.addAll(sendRecords(sender, 7, 8, 40));
    awaitAll(acked);
    assertEquals(List.of("rewind 4 " + 4 * (4 + 40), "write 5", "write 6", "write 7", "write 8",
        "sync 8"), secondLog.events());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), secondLog.records());
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
