package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.testing.ChaosSpec.Mode;
import dev.lifeline.testing.FaultProxy;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small resume storm (the scaled-down form of {@code bench/idle-sessions.sh}): many idle
 * sessions lose their connections at the same moment and all come back, each message answered
 * exactly once. With the default limits a storm larger than {@code maxConcurrentHandshakes}
 * waits for handshake slots instead of being refused.
 */
class ResumeStormTest {
  private static final int SESSIONS = 100;

  @TempDir Path dir;

  /** Counts the echoes a session receives; each must carry the next number. */
  private static final class Echoes implements SessionHandler {
    final AtomicInteger received = new AtomicInteger();
    final ConcurrentLinkedQueue<String> errors;

    Echoes(ConcurrentLinkedQueue<String> errors) {
      this.errors = errors;
    }

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) {
      int n = received.incrementAndGet();
      long carried = message.getLong(message.position());
      if (carried != n || seq != n) {
        errors.add(session.id() + ": echo " + n + " was message " + seq + " carrying " + carried);
      }
    }
  }

  @Test
  void everySessionResumesAfterAllConnectionsAreCutAtOnce() throws Exception {
    SessionHandler echo = (session, seq, message) -> {
      byte[] copy = new byte[message.remaining()];
      message.get(copy);
      session.trySend(copy);
    };
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    // A handshake cap below the storm size: the excess must wait for a slot, not be refused.
    try (LifelineServer server = Fixtures.server(dir, echo)
            .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls"))
                .maxConcurrentHandshakes(8).build())
            // Every connection comes from the proxy's one address: no per-source handshake limit
            // (a source over it is reset at accept, which would cost reconnects their backoff).
            .maxHandshakesPerSource(SESSIONS)
            .start();
        FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port());
        LifelineClient client = Fixtures.client(dir, proxy.port()).build()) {
      List<Session> sessions = new ArrayList<>();
      List<Echoes> handlers = new ArrayList<>();
      List<CompletableFuture<Session>> opening = new ArrayList<>();
      for (int i = 0; i < SESSIONS; i++) {
        Echoes handler = new Echoes(errors);
        handlers.add(handler);
        opening.add(client.open("storm-" + i, handler));
      }
      for (CompletableFuture<Session> f : opening) {
        Session s = f.get(60, TimeUnit.SECONDS);
        sessions.add(s);
        s.trySend(message(1));
      }
      Awaitility.await().atMost(Duration.ofSeconds(60))
          .until(() -> handlers.stream().allMatch(h -> h.received.get() == 1));
      assertEquals(SESSIONS, proxy.liveConnections());

      proxy.cutAll(Mode.RST);
      for (Session s : sessions) {
        s.trySend(message(2)); // waits in the replay buffer until the session is back
      }
      Awaitility.await().atMost(Duration.ofSeconds(90))
          .until(() -> handlers.stream().allMatch(h -> h.received.get() >= 2));
      // A duplicate of the second message or of its echo would arrive before the echo of a
      // third (each direction is delivered in order), so that echo ends the window for one,
      // however slowly the machine runs.
      for (Session s : sessions) {
        assertNotNull(s.trySend(message(3)), "room for a third message in " + s.id());
      }
      Awaitility.await().atMost(Duration.ofSeconds(60))
          .until(() -> handlers.stream().allMatch(h -> h.received.get() >= 3));
      for (int i = 0; i < SESSIONS; i++) {
        assertEquals(3, handlers.get(i).received.get(), "echoes of session " + i);
        assertEquals(1, sessions.get(i).stats().reconnects(), "reconnects of session " + i);
      }
      assertTrue(errors.isEmpty(), errors.toString());
      assertEquals(SESSIONS, server.sessionCount());
    }
  }

  private static byte[] message(long n) {
    return ByteBuffer.allocate(8).putLong(n).array();
  }
}
