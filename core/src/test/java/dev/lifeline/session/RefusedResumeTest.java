package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionRefusedException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.store.Outbox;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resume the server refuses (here: it forgot the session, as after expiry) is never turned
 * into a new session behind the application's back: {@code open} fails, says why and what to do,
 * keeps the session's state, and fails the same way again; {@code openNew} is the explicit
 * choice. With a durable outbox the new session is exactly-once across the two: the outbox's
 * messages the server had stored in the old session (their acknowledgements were not taken in
 * by the client) are dropped by the server (the producer identity), and the application goes
 * on from {@code handedOver()}. Without the producer identity the receiver sees 1..300 twice.
 */
class RefusedResumeTest {
  private static final String KEY = "telemetry";

  @TempDir Path dir;

  @Test
  void aRefusedResumeFailsKeepsTheStateAndOpenNewContinuesExactlyOnce() throws Exception {
    CheckpointStore clientStore = new TrimsLost(InMemoryCheckpointStore.builder().build());
    Records receiver = new Records();
    Path serverState = dir.resolve("server");
    FileCheckpointStore serverStore = FileCheckpointStore.open(serverState);
    LifelineServer server = Fixtures.server(dir, receiver).store(serverStore).start();
    int port = server.port();
    String sessionId;
    try (LifelineClient first = client(port, clientStore)) {
      Session session = first.open(KEY, new SessionHandler.SendOnly() {})
          .get(10, TimeUnit.SECONDS);
      sessionId = session.id();
      sendRecords(session, 1, 300).get(20, TimeUnit.SECONDS);
    }
    // The server forgets the session, as when it expired; it still knows the producer.
    server.close();
    serverStore.delete(sessionId).get(10, TimeUnit.SECONDS);
    serverStore.close();
    serverStore = FileCheckpointStore.open(serverState);
    server = Fixtures.server(dir, receiver).store(serverStore).port(port).start();
    try (LifelineClient second = client(port, clientStore)) {
      for (int attempt = 0; attempt < 2; attempt++) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class,
            () -> second.open(KEY, new SessionHandler.SendOnly() {}).get(10, TimeUnit.SECONDS));
        SessionRefusedException refused =
            assertInstanceOf(SessionRefusedException.class, e.getCause());
        assertEquals(ErrorCode.UNKNOWN_SESSION, refused.code());
        assertTrue(refused.getMessage().contains("openNew(\"" + KEY + "\""),
            refused.getMessage());
        assertTrue(clientStore.load(KEY).get().isPresent(), "the session's state is kept");
      }

      Session next = second.openNew(KEY, new SessionHandler.SendOnly() {})
          .get(10, TimeUnit.SECONDS);
      assertEquals(300, next.handedOver(), "goes on after the outbox's last message");
      sendRecords(next, next.handedOver() + 1, 400).get(20, TimeUnit.SECONDS);
      assertEquals(400, receiver.last, "the receiver reached the last record");
      assertTrue(receiver.errors.isEmpty(), receiver.errors.toString());
    } finally {
      server.close();
      serverStore.close();
    }
  }

  private LifelineClient client(int port, CheckpointStore store) throws Exception {
    return Fixtures.client(dir, port).store(store).durableOutbox(true)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30))
        .build();
  }

  /** Sends records {@code from..to} (each carries its number); completes when all are acked. */
  private static CompletableFuture<Void> sendRecords(Session session, long from, long to)
      throws Exception {
    CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
    for (long n = from; n <= to; n++) {
      last = session.send(ByteBuffer.allocate(Long.BYTES).putLong(n).array());
    }
    return last;
  }

  /**
   * A durable receiver of numbered records that checks each arrives once, in order, across
   * sessions: like a file the records are appended to, what it holds outlives a session; its
   * checkpoint state is the last record stored.
   */
  private static final class Records implements SessionHandler {
    final List<String> errors = new CopyOnWriteArrayList<>();
    volatile long last;

    @Override
    public boolean autoAcknowledge() {
      return false;
    }

    @Override
    public void onInboundRewind(Session session, Checkpoint checkpoint) {
      last = stored(checkpoint);
    }

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
      long n = message.getLong(message.position());
      if (n != last + 1) {
        errors.add("expected record " + (last + 1) + ", got " + n + " (seq " + seq + ")");
      }
      last = n;
      if (n % 100 == 0) {
        session.checkpoint(seq, ByteBuffer.allocate(Long.BYTES).putLong(n).array())
            .get(10, TimeUnit.SECONDS);
      }
    }

    private static long stored(Checkpoint cp) {
      return cp.stateLength() == Long.BYTES ? ByteBuffer.wrap(cp.state()).getLong() : 0;
    }
  }

  /**
   * A client store whose outbox never takes trims in: what an outbox read back after a crash
   * holds when its trims had not reached the disk (the Outbox contract allows it), so the new
   * session sends messages the server already stored.
   */
  private static final class TrimsLost implements CheckpointStore {
    private final InMemoryCheckpointStore store;

    TrimsLost(InMemoryCheckpointStore store) {
      this.store = store;
    }

    @Override
    public boolean supportsOutbox() {
      return true;
    }

    @Override
    public Outbox openOutbox(String key) throws StoreException {
      Outbox outbox = store.openOutbox(key);
      return new Outbox() {
        @Override
        public byte[] producerId() {
          return outbox.producerId();
        }

        @Override
        public long lastSeq() {
          return outbox.lastSeq();
        }

        @Override
        public long firstSeq() {
          return outbox.firstSeq();
        }

        @Override
        public long bytes() {
          return outbox.bytes();
        }

        @Override
        public CompletableFuture<Void> append(long seq, ByteBuffer message) {
          return outbox.append(seq, message);
        }

        @Override
        public void trim(long seq) {
          // lost
        }

        @Override
        public CompletableFuture<Void> reset(long nextSeq) {
          return outbox.reset(nextSeq);
        }

        @Override
        public void read(Reader reader) throws StoreException {
          outbox.read(reader);
        }

        @Override
        public void delete() throws StoreException {
          outbox.delete();
        }

        @Override
        public void close() {
          outbox.close();
        }
      };
    }

    @Override
    public CompletableFuture<Void> put(SessionRecord record) {
      return store.put(record);
    }

    @Override
    public CompletableFuture<Void> commit(String id, Checkpoint checkpoint) {
      return store.commit(id, checkpoint);
    }

    @Override
    public CompletableFuture<Optional<SessionRecord>> load(String id) {
      return store.load(id);
    }

    @Override
    public CompletableFuture<Void> delete(String id) {
      return store.delete(id);
    }

    @Override
    public CompletableFuture<List<String>> ids() {
      return store.ids();
    }

    @Override
    public CompletableFuture<List<String>> sweepExpired() {
      return store.sweepExpired();
    }

    @Override
    public void close() {
      store.close();
    }
  }
}
