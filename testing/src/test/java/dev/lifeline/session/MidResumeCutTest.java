package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.testing.ChaosSpec.Mode;
import dev.lifeline.testing.FaultProxy;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cuts in the middle of the resume exchange itself, placed exactly: a store wrapper cuts every
 * connection (through {@link FaultProxy}) at the moment the server makes the rotated token
 * durable, so RESUMED is never delivered, or at the moment the client stores the new token, so
 * CONFIRM is never delivered. The client must come back with the token it still has (pending
 * slot, or the new current one) and the streams must continue with nothing lost or repeated.
 */
class MidResumeCutTest {
  static final int MESSAGES = 5_000;
  static final int SPREAD = 2_000;

  @TempDir Path dir;

  /** A store that runs {@link #onPut} before each put; everything else is delegated. */
  static final class CuttingStore implements CheckpointStore {
    final CheckpointStore delegate = InMemoryCheckpointStore.builder().build();
    final AtomicReference<java.util.function.Predicate<SessionRecord>> onPut =
        new AtomicReference<>(r -> false);
    final AtomicInteger cuts = new AtomicInteger();
    volatile FaultProxy proxy;

    @Override
    public CompletableFuture<Void> put(SessionRecord record) {
      if (onPut.get().test(record)) {
        cuts.incrementAndGet();
        proxy.cutAll(Mode.RST);
      }
      return delegate.put(record);
    }

    @Override
    public CompletableFuture<Void> commit(String id, Checkpoint checkpoint) {
      return delegate.commit(id, checkpoint);
    }

    @Override
    public CompletableFuture<Optional<SessionRecord>> load(String id) {
      return delegate.load(id);
    }

    @Override
    public CompletableFuture<Void> delete(String id) {
      return delegate.delete(id);
    }

    @Override
    public CompletableFuture<List<String>> ids() {
      return delegate.ids();
    }

    @Override
    public CompletableFuture<List<String>> sweepExpired() {
      return delegate.sweepExpired();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** Whether a server record's pending slot (bytes 32..63 of the secret) is in use. */
  static boolean hasPendingToken(SessionRecord r) {
    byte[] s = r.secret();
    for (int i = 32; i < 64 && s.length == 96; i++) {
      if (s[i] != 0) {
        return true;
      }
    }
    return false;
  }

  private static boolean progressed(Fixtures.CheckedStream stream, long before) {
    return stream.received() >= Math.min(MESSAGES, before + 50) || !stream.ok();
  }

  /** Sends the checked stream at a pace that keeps data flowing through every round. */
  private static void sendPaced(Session session) throws Exception {
    for (long n = 1; n <= MESSAGES; n++) {
      session.send(Fixtures.message(n, SPREAD));
      if (n % 10 == 0) {
        Thread.sleep(1);
      }
    }
  }

  @Test
  void cutsRightAfterResumeAndRightAfterResumedLoseNothing() throws Exception {
    ExecutorService senders = Executors.newCachedThreadPool();
    Fixtures.CheckedStream atServer = new Fixtures.CheckedStream();
    Fixtures.CheckedStream atClient = new Fixtures.CheckedStream();
    AtomicReference<Session> serverSession = new AtomicReference<>();
    CompletableFuture<Future<?>> serverSending = new CompletableFuture<>();
    SessionHandler serverSide = new SessionHandler() {
      @Override
      public void onOpen(Session session) {
        serverSession.set(session);
        serverSending.complete(senders.submit(() -> {
          sendPaced(session);
          return null;
        }));
      }

      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) {
        atServer.onMessage(session, seq, message);
      }
    };
    CuttingStore serverStore = new CuttingStore();
    CuttingStore clientStore = new CuttingStore();
    try (LifelineServer server = Fixtures.server(dir, serverSide).store(serverStore)
            .idleTimeout(Duration.ofSeconds(2)).replayBufferBytes(128 * 1024).maxMessageSize(16 * 1024).start();
        FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port());
        LifelineClient client = Fixtures.client(dir, proxy.port()).store(clientStore)
            .idleTimeout(Duration.ofSeconds(2)).replayBufferBytes(128 * 1024).maxMessageSize(16 * 1024)
            .reconnect(Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(20))
            .build()) {
      serverStore.proxy = proxy;
      clientStore.proxy = proxy;
      Session session = client.open("mid-resume", atClient).get(30, TimeUnit.SECONDS);
      Future<?> clientSending = senders.submit(() -> {
        sendPaced(session);
        return null;
      });

      int rounds = 6;
      for (int round = 0; round < rounds; round++) {
        // Let each direction make progress (or finish: a direction that already delivered all
        // its messages cannot progress, which is not a stall) between two rounds. Generous: on
        // two busy cores a round can take seconds; the listener says where a slow one stood.
        long serverBefore = atServer.received();
        long clientBefore = atClient.received();
        Awaitility.await("progress before round " + round).atMost(Duration.ofSeconds(30))
            .conditionEvaluationListener(c -> {
              if (c.getElapsedTimeInMS() > 10_000 && c.getElapsedTimeInMS() % 5_000 < 150) {
                System.out.println("stalled: server " + atServer.received() + " client "
                    + atClient.received() + " client " + session.stats() + " connected="
                    + session.isConnected() + " server " + (serverSession.get() == null ? null
                    : serverSession.get().stats() + " connected="
                    + serverSession.get().isConnected()));
              }
            })
            .until(() -> progressed(atServer, serverBefore) && progressed(atClient, clientBefore));
        final int round0 = round;
        boolean serverSide0 = round % 2 == 0;
        CuttingStore armed = serverSide0 ? serverStore : clientStore;
        AtomicInteger once = new AtomicInteger(1);
        // Server: the put that rotates the token (pending slot filled) happens before RESUMED is
        // written. Client: the put of the new token happens before CONFIRM is written.
        armed.onPut.set(r -> (serverSide0 ? hasPendingToken(r) : true)
            && once.getAndDecrement() == 1);
        int cutsBefore = armed.cuts.get();
        proxy.cutAll(Mode.RST); // a plain cut first, to make the client resume
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> armed.cuts.get() > cutsBefore);
        armed.onPut.set(r -> false);
        Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> session.isConnected() || session.closeFuture().isDone());
        assertFalse(session.closeFuture().isCompletedExceptionally(), () -> "round " + round0
            + ": the session ended: " + session.closeFuture().handle((v, e) -> e).join());
      }

      Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
          .until(() -> atServer.received() == MESSAGES && atClient.received() == MESSAGES
              || !atServer.ok() || !atClient.ok());
      assertTrue(atServer.ok(), () -> "server received: " + atServer.errors);
      assertTrue(atClient.ok(), () -> "client received: " + atClient.errors);
      clientSending.get(10, TimeUnit.SECONDS);
      serverSending.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
      assertEquals(rounds / 2, serverStore.cuts.get());
      assertEquals(rounds / 2, clientStore.cuts.get());

      // Every round is a plain cut plus a cut mid-resume. The server completed a resume the
      // client never saw in each server-side round, so it counts more resumes than the client.
      long clientResumes = session.stats().reconnects();
      long serverResumes = serverSession.get().stats().reconnects();
      assertTrue(clientResumes >= 2 * rounds - rounds / 2, "client resumes: " + clientResumes);
      assertTrue(serverResumes >= clientResumes + rounds / 2,
          "server resumes " + serverResumes + ", client resumes " + clientResumes);
      assertFalse(session.closeFuture().isDone(), "the session survived every cut");
      session.close(Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
    } finally {
      senders.shutdownNow();
    }
  }
}
