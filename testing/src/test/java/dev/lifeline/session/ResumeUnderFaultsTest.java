package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeStats;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionStats;
import dev.lifeline.testing.Chaos;
import dev.lifeline.testing.ChaosSpec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 messages each way across dozens of cuts (reset, clean close, black hole) landing at
 * random bytes, so also in the middle of TLS records, frames and the resume exchange: each side
 * must receive every message exactly once and in order.
 */
class ResumeUnderFaultsTest {
  static final int MESSAGES = 10_000;

  @TempDir Path dir;

  /** Records what arrives and checks order on the fly: the n-th message must carry n. */
  static final class Receiver implements SessionHandler {
    volatile long expected = 1;
    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) {
      long carried = message.getLong();
      if (carried != expected || seq != expected) {
        errors.add("expected " + expected + " got seq " + seq + " carrying " + carried);
      }
      for (int i = 8; i < message.limit(); i++) {
        if (message.get(i) != (byte) (carried * 31 + i)) {
          errors.add("message " + carried + " corrupt at byte " + i);
          break;
        }
      }
      expected = carried + 1;
    }
  }

  static byte[] message(long n) {
    int size = 8 + (int) (n * 7919 % 1500);
    ByteBuffer b = ByteBuffer.allocate(size).putLong(n);
    for (int i = 8; i < size; i++) {
      b.put((byte) (n * 31 + i));
    }
    return b.array();
  }

  static void sendAll(Session session) throws Exception {
    for (long n = 1; n <= MESSAGES; n++) {
      session.send(message(n));
    }
  }

  @Test
  void everyMessageArrivesOnceAndInOrderAcrossRandomCuts() throws Exception {
    ExecutorService senders = Executors.newCachedThreadPool();
    Receiver atServer = new Receiver();
    Receiver atClient = new Receiver();
    ConcurrentLinkedQueue<Future<?>> serverSends = new ConcurrentLinkedQueue<>();
    SessionHandler serverSide = new SessionHandler() {
      @Override
      public void onOpen(Session session) {
        serverSends.add(senders.submit(() -> {
          sendAll(session);
          return null;
        }));
      }

      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) {
        atServer.onMessage(session, seq, message);
      }
    };
    HandshakeStats tlsStats = new HandshakeStats();
    Chaos chaos = Chaos.of(ChaosSpec.parse("cut=20K..400K,mode=mix,count=36"), 42);
    try (LifelineServer server = LifelineServer.builder()
            .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build())
            .handler(serverSide)
            .idleTimeout(Duration.ofMillis(600))
            .replayBufferBytes(256 * 1024)
            .maxMessageSize(64 * 1024)
            .start();
        LifelineClient client = chaos.install(LifelineClient.builder())
            .server("localhost", server.port())
            .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build())
            .idleTimeout(Duration.ofMillis(600))
            .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30))
            .replayBufferBytes(256 * 1024)
            .maxMessageSize(64 * 1024)
            .handshakeListener(tlsStats)
            .build()) {
      Session session = client.open("faults", atClient).get(30, TimeUnit.SECONDS);
      Future<?> clientSends = senders.submit(() -> {
        sendAll(session);
        return null;
      });
      Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
          .until(() -> atServer.expected > MESSAGES && atClient.expected > MESSAGES
              || !atServer.errors.isEmpty() || !atClient.errors.isEmpty());
      assertTrue(atServer.errors.isEmpty(), () -> "server: " + atServer.errors);
      assertTrue(atClient.errors.isEmpty(), () -> "client: " + atClient.errors);
      clientSends.get(10, TimeUnit.SECONDS);
      serverSends.peek().get(10, TimeUnit.SECONDS);
      assertTrue(chaos.cuts() >= 30, "cuts: " + chaos.cuts());
      // A cut can land after the last message arrived: its reconnect may still be under way.
      Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> session.stats().reconnects() >= chaos.cuts());
      SessionStats stats = session.stats();
      assertEquals(chaos.cuts(), stats.reconnects(), stats.toString());
      assertTrue(stats.tlsResumed() >= stats.reconnects() / 2,
          "most reconnects resume TLS: " + stats);
      assertEquals(tlsStats.snapshot().resumed(HandshakeEvent.Side.CLIENT), stats.tlsResumed());
      session.close(Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
    } finally {
      senders.shutdownNow();
    }
  }
}
