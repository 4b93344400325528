package dev.lifeline.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A durable outbox sends again, with no application code, what the peer had not acknowledged
 * when the sending process went away: the next process that opens the session (same key, same
 * store) loads the outbox into its replay buffer, {@link Session#handedOver()} says where the
 * application continues, and the peer sees every message once, in order.
 *
 * <p>The sending process "dies" by closing its endpoint (connections dropped, records kept) and a
 * new endpoint takes the same store object: the in-memory store's outbox is as durable as that
 * object, which is what these tests need. Without the outbox each test fails: the new process
 * rewinds to the peer's last checkpoint, {@code handedOver()} goes back, and the messages the
 * peer had not taken in are lost. Crash safety of the file-backed outbox itself (kill -9 of a
 * child JVM) is proven in the store's and the examples' tests.
 */
class DurableOutboxTest {
  private static final int SPREAD = 100;

  @TempDir Path dir;

  /**
   * Both processes die: the client with messages in its outbox the server never checkpointed,
   * the server with messages it took in after its last checkpoint. The next client process
   * continues after the outbox's last message and the library sends the rest from the outbox.
   */
  @Test
  void aClientKilledWithMessagesUnacknowledgedHasThemSentByTheNextProcess() throws Exception {
    InMemoryCheckpointStore clientStore = InMemoryCheckpointStore.builder().build();
    long total = 1_000;
    Checkpointing receiver = new Checkpointing(300);
    FileCheckpointStore serverStore = FileCheckpointStore.open(dir.resolve("server"));
    LifelineServer server = Fixtures.server(dir, receiver).store(serverStore).start();
    int port = server.port();
    LifelineClient first = client(port, clientStore);
    Session session = first.open("shipper", new SessionHandler.SendOnly() {})
        .get(10, TimeUnit.SECONDS);
    CompletableFuture.runAsync(() -> {
      try {
        Fixtures.sendAll(session, total, SPREAD);
      } catch (Exception expected) {
        // the process "dies" while this sender waits for room
      }
    });
    assertTrue(receiver.blocked.await(10, TimeUnit.SECONDS));
    await().atMost(Duration.ofSeconds(10)).until(() -> !session.isWritable());
    long handedOver = session.handedOver();
    assertTrue(handedOver > 300 && handedOver < total, "handed over " + handedOver);
    first.close();
    server.close();
    receiver.release.countDown();
    serverStore.close();

    Checkpointing restarted = new Checkpointing(0);
    try (FileCheckpointStore store = FileCheckpointStore.open(dir.resolve("server"));
        LifelineServer again = Fixtures.server(dir, restarted).store(store).port(port).start();
        LifelineClient second = client(port, clientStore)) {
      Session next = second.open("shipper", new SessionHandler.SendOnly() {})
          .get(10, TimeUnit.SECONDS);
      assertEquals(handedOver, next.handedOver(), "continues after the outbox's last message");
      CompletableFuture<Void> last = null;
      for (long n = next.handedOver() + 1; n <= total; n++) {
        last = next.send(Fixtures.message(n, SPREAD));
      }
      last.get(20, TimeUnit.SECONDS);
      // 300, or later if the old server's released handler checkpointed more before it stopped
      assertTrue(restarted.restoredAt >= 300, "restored at " + restarted.restoredAt);
      assertEquals(total, restarted.received);
      assertTrue(restarted.errors.isEmpty(), restarted.errors.toString());
      assertTrue(next.stats().resentBytes() > 0, "the outbox's messages were sent again");
    }
  }

  /**
   * The server sends to a client that is away, then restarts: the restarted server's application
   * knows nothing of those messages, and the library delivers them from the outbox when the
   * client comes back, once each.
   */
  @Test
  void messagesForAnAbsentClientSurviveAServerRestart() throws Exception {
    InMemoryCheckpointStore serverStore = InMemoryCheckpointStore.builder().build();
    InMemoryCheckpointStore clientStore = InMemoryCheckpointStore.builder().build();
    CompletableFuture<Session> opened = new CompletableFuture<>();
    SessionHandler sender = new SessionHandler.SendOnly() {
      @Override
      public void onOpen(Session session) {
        opened.complete(session);
      }
    };
    LifelineServer first = server(sender, serverStore, 0);
    int port = first.port();
    LifelineClient away = client(port, clientStore);
    away.open("downloads", new Fixtures.CheckedStream()).get(10, TimeUnit.SECONDS);
    Session session = opened.get(10, TimeUnit.SECONDS);
    away.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> !session.isConnected());
    Fixtures.sendAll(session, 50, SPREAD);
    assertEquals(50, session.handedOver());
    first.close();

    Fixtures.CheckedStream receiver = new Fixtures.CheckedStream();
    try (LifelineServer second = server(new SessionHandler.SendOnly() {}, serverStore, port);
        LifelineClient back = client(port, clientStore)) {
      back.open("downloads", receiver).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received() == 50);
      assertTrue(receiver.ok(), receiver.errors.toString());
    }
  }

  private LifelineClient client(int port, InMemoryCheckpointStore store) throws Exception {
    return Fixtures.client(dir, port).store(store).durableOutbox(true)
        .maxMessageSize(1024).replayBufferBytes(16 * 1024)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(60))
        .build();
  }

  private LifelineServer server(SessionHandler handler, InMemoryCheckpointStore store, int port)
      throws Exception {
    return Fixtures.server(dir, handler).store(store).port(port).durableOutbox(true)
        .maxMessageSize(1024).replayBufferBytes(16 * 1024).start();
  }

  /**
   * A durable receiver of a checked stream: acknowledges only through a checkpoint every 100
   * messages, and stops at message {@code at} (if not 0), once it is checkpointed, until released.
   */
  private static final class Checkpointing implements SessionHandler {
    final CountDownLatch blocked = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final java.util.List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final long at;
    volatile long received;
    volatile long restoredAt = -1;

    Checkpointing(long at) {
      this.at = at;
    }

    @Override
    public boolean autoAcknowledge() {
      return false;
    }

    @Override
    public void onInboundRewind(Session session, dev.lifeline.store.Checkpoint checkpoint) {
      restoredAt = checkpoint.position();
      received = checkpoint.position();
    }

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
      long carried = message.getLong(message.position());
      if (seq != received + 1 || carried != seq) {
        errors.add("expected " + (received + 1) + ", got seq " + seq + " carrying " + carried);
      }
      received = seq;
      if (seq % 100 == 0) {
        session.checkpoint(seq, new byte[0]).get(10, TimeUnit.SECONDS);
      }
      if (seq == at) {
        blocked.countDown();
        release.await();
      }
    }
  }
}
