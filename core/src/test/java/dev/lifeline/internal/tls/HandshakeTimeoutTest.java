package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.HandshakeStats;
import dev.lifeline.TlsProvider;
import io.netty.channel.EventLoopGroup;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Server limits on real sockets: silent clients time out, excess connections wait for a
 * handshake slot, or are refused when no more may wait.
 */
class HandshakeTimeoutTest {
  private static EventLoopGroup group;

  @TempDir
  Path dir;

  @BeforeAll
  static void startGroup() {
    group = TlsTestSupport.newGroup();
  }

  @AfterAll
  static void stopGroup() {
    group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.lifeline.internal.tls.TlsTestSupport#providers")
  void silentClientTimesOutAndExcessConnectionsAreRefused(TlsProvider provider) throws Exception {
    RecordingListener events = new RecordingListener();
    HandshakeStats stats = new HandshakeStats();
    try (ServerTls server = ServerTls.create(TlsTestSupport.server(dir, provider)
            .handshakeTimeout(Duration.ofMillis(300)).maxConcurrentHandshakes(2)
            .maxWaitingHandshakes(0).build(),
            events.andThen(stats), Clock.systemUTC(), false);
        TlsTestServer listener = new TlsTestServer(server, group, 0, false)) {
      List<Socket> silent = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          silent.add(new Socket("127.0.0.1", listener.port()));
        }
        HandshakeEvent refused = events.take();
        assertFalse(refused.succeeded());
        assertTrue(refused.failureMessage().orElseThrow().startsWith("rejected: 2 concurrent"),
            refused.toString());
        assertEquals(1, server.rejectedConnections());
        for (int i = 0; i < 2; i++) {
          HandshakeEvent timedOut = events.take();
          assertTrue(timedOut.failureMessage().orElseThrow().startsWith("the TLS handshake timed out after "),
              timedOut.toString());
          assertTrue(timedOut.durationNanos() >= Duration.ofMillis(250).toNanos(), timedOut.toString());
        }
        for (Socket socket : silent) {
          socket.setSoTimeout(5_000);
          try (InputStream in = socket.getInputStream()) {
            while (in.read() >= 0) {
              // drain until the server's close
            }
          } catch (java.net.SocketException reset) {
            // a reset is a close too
          }
        }
        assertEquals(3, stats.snapshot().failed(HandshakeEvent.Side.SERVER));
      } finally {
        for (Socket socket : silent) {
          socket.close();
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.lifeline.internal.tls.TlsTestSupport#providers")
  void excessConnectionWaitsForASlotAndIsServedWhenOneFrees(TlsProvider provider)
      throws Exception {
    RecordingListener events = new RecordingListener();
    try (ServerTls server = ServerTls.create(TlsTestSupport.server(dir, provider)
            .handshakeTimeout(Duration.ofSeconds(60)).maxConcurrentHandshakes(1).build(),
            events, Clock.systemUTC(), false);
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = ClientTls.create(TlsTestSupport.client(dir, provider, "TLSv1.3"),
            HandshakeListener.NONE)) {
      Socket silent = new Socket("127.0.0.1", listener.port()); // holds the only slot
      try {
        // Accepted connections become active on different event loops, in no set order: the
        // waiting client starts only once the silent one holds the slot (it once took it first).
        // The handshake timeout is long so that a starved machine cannot free the slot early.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
            .until(() -> server.handshakesInProgress() == 1);
        long start = System.nanoTime();
        java.util.concurrent.CompletableFuture<TlsTestClient.Result> waiting =
            java.util.concurrent.CompletableFuture.supplyAsync(() -> {
              try {
                return TlsTestClient.connectOnce(client, group, "localhost", "127.0.0.1",
                    listener.port());
              } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
            .until(() -> server.queuedConnections() == 1);
        Thread.sleep(200); // a window for a wrong grant to show: a slow machine only widens it
        assertFalse(waiting.isDone(), "waits while the slot is held");
        silent.close(); // frees the slot: the waiting connection gets it
        TlsTestClient.Result result = waiting.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(TlsTestServer.GREETING, result.greeting);
        assertEquals(0, server.rejectedConnections());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(200).toNanos());
        HandshakeEvent first = events.take();
        assertFalse(first.succeeded(), "the silent connection failed: " + first);
        HandshakeEvent served = events.take();
        assertTrue(served.succeeded(), served.toString());
      } finally {
        silent.close();
      }
    }
  }
}
