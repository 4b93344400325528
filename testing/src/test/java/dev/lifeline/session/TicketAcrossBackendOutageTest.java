package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.HandshakeEvent.Side;
import dev.lifeline.HandshakeStats;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionStats;
import dev.lifeline.TlsProvider;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.testing.FaultProxy;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client reaches its server through a TCP proxy (a load balancer). The server goes away and
 * comes back on the same data (same ticket keys, same session store); meanwhile the proxy accepts
 * every reconnect, finds no backend and resets it. Each of those attempts offered a TLS 1.3 ticket
 * in its ClientHello that no server ever saw. When the server is back, the session must resume
 * with a resumed TLS handshake: a ticket stays usable until a handshake that used it completes.
 * Before {@code TicketKeeper}, the attempts used up the client's tickets (Netty's cache hands each
 * out once, the server had sent two) and the resume was a full handshake.
 *
 * <p>OpenSSL (the default provider) only: the JDK client consumes its ticket in the ClientHello
 * and offers no way to give it back (docs/tls.md).
 */
class TicketAcrossBackendOutageTest {
  /** More failed attempts than the tickets a BoringSSL server sends (two). */
  private static final int FAILED_ATTEMPTS = 4;

  @TempDir Path dir;

  @Test
  void aSessionResumesWithAResumedTlsHandshakeAfterHandshakesThatNeverReachedTheServer()
      throws Exception {
    CheckpointStore store = InMemoryCheckpointStore.builder().build();
    Fixtures.CheckedStream receiver = new Fixtures.CheckedStream();
    HandshakeStats clientHandshakes = new HandshakeStats();
    HandshakeStats serverHandshakes = new HandshakeStats();
    CompletableFuture<Void> resumed = new CompletableFuture<>();
    SessionHandler clientSide = new SessionHandler() {
      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) {
      }

      @Override
      public void onResumed(Session session) {
        resumed.complete(null);
      }
    };
    LifelineServer first = server(store, receiver, 0, new HandshakeStats()).start();
    int port = first.port();
    try (FaultProxy proxy = FaultProxy.start("127.0.0.1", port);
        LifelineClient client = Fixtures.client(dir, proxy.port())
            .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem"))
                .provider(TlsProvider.AUTO).protocols("TLSv1.3").build())
            .handshakeListener(clientHandshakes)
            .reconnect(Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(60))
            .build()) {
      assumeTrue(client.tlsProvider().startsWith("OpenSSL"),
          "needs the OpenSSL provider; this machine has " + client.tlsProvider());
      Session session = client.open("backend-outage", clientSide).get(10, TimeUnit.SECONDS);
      session.send(Fixtures.message(1, 100)).get(5, TimeUnit.SECONDS);
      assertEquals(1, clientHandshakes.snapshot().full(Side.CLIENT), clientHandshakes::toString);

      first.close(); // the client reconnects at once; the proxy resets every attempt
      Awaitility.await("reconnects reset by the proxy").atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> clientHandshakes.snapshot().failed(Side.CLIENT) >= FAILED_ATTEMPTS);

      try (LifelineServer second = server(store, receiver, port, serverHandshakes).start()) {
        resumed.get(30, TimeUnit.SECONDS);
        SessionStats stats = session.stats();
        String context = stats + ", client " + clientHandshakes + ", server " + serverHandshakes;
        assertEquals(1, stats.tlsResumed(), context);
        assertEquals(1, stats.tlsFull(), context);
        assertEquals(1, serverHandshakes.snapshot().resumed(Side.SERVER), context);
        assertEquals(0, serverHandshakes.snapshot().full(Side.SERVER), context);
        assertTrue(proxy.connectionsAccepted() >= FAILED_ATTEMPTS + 2, context);
      }
    } finally {
      first.close();
    }
  }

  /** A server on the shared data: its ticket keys live in {@code dir/tls/ticket-keys}. */
  private LifelineServer.Builder server(CheckpointStore store, SessionHandler handler, int port,
      HandshakeStats handshakes) {
    return Fixtures.server(dir, handler).store(store).port(port).handshakeListener(handshakes)
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls"))
            .provider(TlsProvider.AUTO).build());
  }
}
