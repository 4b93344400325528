package dev.lifeline.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionIntegrationTest {

  @TempDir Path dir;

  @Test
  void opensSessionAndExchangesMessagesBothWays() throws Exception {
    List<String> atServer = new CopyOnWriteArrayList<>();
    List<String> atClient = new CopyOnWriteArrayList<>();
    SessionHandler echo = (session, seq, message) -> {
      String text = UTF_8.decode(message).toString();
      atServer.add(seq + ":" + text);
      session.trySend(("echo " + text).getBytes(UTF_8));
    };
    try (LifelineServer server = LifelineServer.builder()
            .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build())
            .handler(echo)
            .start();
        LifelineClient client = LifelineClient.builder()
            .server("localhost", server.port())
            .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build())
            .build()) {
      Session session = client.open("test", (s, seq, m) ->
          atClient.add(seq + ":" + UTF_8.decode(m))).get(10, TimeUnit.SECONDS);
      for (int i = 1; i <= 100; i++) {
        session.send(("m" + i).getBytes(UTF_8)).get(5, TimeUnit.SECONDS);
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> atClient.size() == 100);
      assertEquals("1:m1", atServer.get(0));
      assertEquals("100:m100", atServer.get(99));
      assertEquals("100:echo m100", atClient.get(99));
      session.close(Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> server.sessionCount() == 0);
      assertTrue(session.closeFuture().isDone());
    }
  }

  /**
   * send(ByteBuffer) and trySend(ByteBuffer) carry exactly the bytes between position and limit,
   * direct or heap, read-only or not, and leave the caller's position and limit alone.
   */
  @Test
  void sendsTheRemainingBytesOfByteBuffers() throws Exception {
    List<String> atServer = new CopyOnWriteArrayList<>();
    try (LifelineServer server = Fixtures.server(dir,
            (s, seq, m) -> atServer.add(seq + ":" + UTF_8.decode(m))).start();
        LifelineClient client = Fixtures.client(dir, server.port()).build()) {
      Session session = client.open("buffers", (s, seq, m) -> { }).get(10, TimeUnit.SECONDS);
      ByteBuffer direct = ByteBuffer.allocateDirect(64).put("xx-direct-yy".getBytes(UTF_8));
      direct.position(3).limit(9);
      ByteBuffer heap = ByteBuffer.wrap("--heap".getBytes(UTF_8)).position(2).asReadOnlyBuffer();
      ByteBuffer big = ByteBuffer.allocateDirect(200_000);
      while (big.hasRemaining()) {
        big.put((byte) 'b');
      }
      big.flip();
      session.send(direct).get(5, TimeUnit.SECONDS);
      session.trySend(heap).get(5, TimeUnit.SECONDS);
      session.send(big).get(5, TimeUnit.SECONDS);
      assertEquals(3, direct.position());
      assertEquals(9, direct.limit());
      assertEquals(2, heap.position());
      assertEquals(0, big.position());
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> atServer.size() == 3);
      assertEquals("1:direct", atServer.get(0));
      assertEquals("2:heap", atServer.get(1));
      assertEquals("3:" + "b".repeat(200_000), atServer.get(2));
      session.close(Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
    }
  }
}
