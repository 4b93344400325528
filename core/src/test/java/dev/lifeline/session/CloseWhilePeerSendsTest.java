package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.InMemoryCheckpointStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client closes its session while the server is still sending to it (as at the end of a
 * download, where the server may still be streaming). The server must take that as the end of
 * the session, not as a lost connection: its session closed normally, its record deleted. A
 * client that closed its socket right after writing CLOSE made the kernel answer the server's
 * next segment with a reset, and the server's transport closed the connection on the failed write
 * before it read the CLOSE: the session stayed, waiting for a resume, with its record stored.
 */
class CloseWhilePeerSendsTest {
  private static final int SESSIONS = 8;
  private static final int CHUNK = 64 << 10;

  @TempDir Path dir;

  @Test
  void serverEndsTheSessionAndDeletesItsRecordWhenTheClientClosesMidStream() throws Exception {
    InMemoryCheckpointStore store = new InMemoryCheckpointStore();
    Map<String, Object> closedAtServer = new ConcurrentHashMap<>();
    SessionHandler streamer = new SessionHandler() {
      @Override
      public void onOpen(Session session) {
        pump(session);
      }

      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) {}

      @Override
      public void onClosed(Session session, Throwable cause) {
        closedAtServer.put(session.id(), cause == null ? "normal" : cause);
      }
    };
    try (LifelineServer server = Fixtures.server(dir, streamer).store(store).start();
        LifelineClient client = Fixtures.client(dir, server.port()).build()) {
      for (int i = 0; i < SESSIONS; i++) {
        AtomicLong received = new AtomicLong();
        Session session = client.open("reader", (s, seq, m) -> received.incrementAndGet())
            .get(10, TimeUnit.SECONDS);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> received.get() >= 20);
        session.close(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        String id = session.id();
        Awaitility.await("server ends session " + id + " (" + (i + 1) + " of " + SESSIONS + ")")
            .atMost(Duration.ofSeconds(5)).until(() -> closedAtServer.containsKey(id));
        assertEquals("normal", closedAtServer.get(id), "how session " + id + " ended");
      }
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.sessionCount() == 0);
      assertEquals(List.of(), store.ids().get(5, TimeUnit.SECONDS));
    }
  }

  /** Sends chunks while the replay buffer has room, again whenever it has; stops once closed. */
  private static void pump(Session session) {
    try {
      while (session.trySend(new byte[CHUNK]) != null) {
        // keep the connection full
      }
      session.onWritable(() -> pump(session));
    } catch (LifelineException e) {
      // the session is closed: stop
    }
  }
}
