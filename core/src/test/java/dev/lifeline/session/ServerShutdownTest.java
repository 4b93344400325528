package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code LifelineServer.close()} tells connected clients it is going away (CLOSE GOING_AWAY), so
 * they resume at once, here on a second server sharing the store, instead of taking the close
 * for a network failure.
 */
class ServerShutdownTest {
  @TempDir Path dir;

  @Test
  void closeSendsGoingAwayAndTheClientResumesOnTheNextServer() throws Exception {
    CheckpointStore store = InMemoryCheckpointStore.builder().build();
    Fixtures.CheckedStream receiver = new Fixtures.CheckedStream();
    CompletableFuture<Throwable> disconnected = new CompletableFuture<>();
    CompletableFuture<Void> resumed = new CompletableFuture<>();
    SessionHandler clientSide = new SessionHandler() {
      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) { }

      @Override
      public void onDisconnected(Session session, Throwable cause) {
        disconnected.complete(cause);
      }

      @Override
      public void onResumed(Session session) {
        resumed.complete(null);
      }
    };
    LifelineServer first = Fixtures.server(dir, receiver).store(store).start();
    int port = first.port();
    try (LifelineClient client = Fixtures.client(dir, port)
        .reconnect(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(60))
        .build()) {
      Session session = client.open("shutdown", clientSide).get(10, TimeUnit.SECONDS);
      Fixtures.sendAll(session, 10, 1024);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received() == 10);

      // A connection without a session yet is just closed.
      RawSessionClient waiting = RawSessionClient.connect(
          RawSessionClient.trusting(dir.resolve("tls/ca.pem")), port);
      first.close();
      assertTrue(waiting.closedByServer(), "a connection without a session is closed");
      waiting.close();

      Throwable cause = disconnected.get(10, TimeUnit.SECONDS);
      assertTrue(cause instanceof ProtocolException p && p.code() == ErrorCode.GOING_AWAY,
          "the client was told why: " + cause);

      try (LifelineServer second = Fixtures.server(dir, receiver).store(store).port(port).start()) {
        // (The new server has no replay memory and the receiver committed no checkpoint, so the
        // stream rewinds to 0 there: resuming is what this test is about.)
        resumed.get(30, TimeUnit.SECONDS);
        assertTrue(session.isConnected());
        assertEquals(1, session.stats().reconnects());
        assertTrue(receiver.ok(), receiver.errors::toString);
      }
    } finally {
      first.close();
    }
  }
}
