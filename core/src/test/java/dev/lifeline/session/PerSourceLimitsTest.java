package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-source limits ({@code maxConnectionsPerSource}, {@code maxHandshakesPerSource}) with
 * real sockets: stalling connections from one source address (127.0.0.2, bound by the client
 * socket; all of 127/8 is loopback on Linux) reach their source's limit and the next is reset at
 * accept, while other sources still get handshake slots and a real client completes a session;
 * the places are given back when connections close or finish their handshake, and after 1,000
 * open/close cycles from several sources at once nothing is left counted.
 */
class PerSourceLimitsTest {
  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private final List<Socket> sockets = new ArrayList<>();

  @BeforeEach
  void loopbackAliasesCanBeBound() {
    for (int i = 2; i <= 5; i++) {
      try (Socket s = new Socket()) {
        s.bind(new InetSocketAddress("127.0.0." + i, 0));
      } catch (IOException e) {
        Assumptions.abort("127.0.0." + i + " cannot be bound here (not Linux?): " + e);
      }
    }
  }

  @org.junit.jupiter.api.AfterEach
  void closeSockets() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
  }

  /**
   * Eight handshake slots, no waiting: without the per-source limit, one source stalling eight
   * handshakes would lock every other source out for the handshake timeout.
   */
  @Test
  void aSourceStallingItsHandshakesCannotTakeEverySlot() throws Exception {
    Fixtures.CheckedStream receiver = new Fixtures.CheckedStream();
    try (LifelineServer server = Fixtures.server(dir, receiver)
            .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls"))
                .handshakeTimeout(HANDSHAKE_TIMEOUT)
                .maxConcurrentHandshakes(8)
                .maxWaitingHandshakes(0)
                .build())
            .maxHandshakesPerSource(4)
            .start()) {
      InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port());
      for (int i = 0; i < 4; i++) {
        stall(target, "127.0.0.2");
      }
      awaitConnections(server, 4);
      for (int i = 0; i < 3; i++) {
        assertRefused(target, "127.0.0.2");
      }
      assertEquals(3, server.refusedConnections());
      assertEquals(4, server.connectionCount());

      // Another source still gets slots, and a real client (127.0.0.1) a session.
      stall(target, "127.0.0.3");
      stall(target, "127.0.0.3");
      awaitConnections(server, 6);
      try (LifelineClient client = Fixtures.client(dir, server.port()).build()) {
        Session session = client.open("real", (s, seq, m) -> { }).get(30, TimeUnit.SECONDS);
        Fixtures.sendAll(session, 100, 4096);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received() == 100);
        assertTrue(receiver.ok(), receiver.errors::toString);
        assertEquals(0, session.stats().reconnects(), "the real session was disturbed");
      }
      assertEquals(3, server.refusedConnections(), "nobody else was refused");

      // Closing the stalls gives their places back: the source is admitted again.
      for (Socket s : List.copyOf(sockets)) {
        if (s.getLocalAddress().getHostAddress().equals("127.0.0.2")) {
          s.close();
        }
      }
      awaitConnections(server, 2);
      for (int i = 0; i < 4; i++) {
        stall(target, "127.0.0.2");
      }
      awaitConnections(server, 6);
      assertRefused(target, "127.0.0.2");
      assertEquals(4, server.refusedConnections());
    }
  }

  /** Connections that finished their handshake count against the connection limit only. */
  @Test
  void aSourceCannotHoldMoreThanItsConnections() throws Exception {
    try (LifelineServer server = Fixtures.server(dir, (s, seq, m) -> { })
            .maxConnectionsPerSource(5)
            .maxHandshakesPerSource(2)
            .start()) {
      SSLContext tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
      InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port());
      List<RawSessionClient> established = new ArrayList<>();
      try {
        // Five handshakes one after the other: each gives its handshake place back.
        for (int i = 0; i < 5; i++) {
          established.add(RawSessionClient.over(tls, connect(target, "127.0.0.2")));
        }
        awaitConnections(server, 5);
        assertRefused(target, "127.0.0.2");
        assertEquals(1, server.refusedConnections());

        established.add(RawSessionClient.over(tls, connect(target, "127.0.0.3")));
        awaitConnections(server, 6);

        established.remove(0).close();
        awaitConnections(server, 5);
        established.add(RawSessionClient.over(tls, connect(target, "127.0.0.2")));
        awaitConnections(server, 6);
        assertEquals(1, server.refusedConnections());
      } finally {
        for (RawSessionClient c : established) {
          c.close();
        }
      }
    }
  }

  /**
   * 1,000 connections from four sources, two threads each, racing on their sources' counts:
   * closed at once, closed in the middle of the handshake, or closed after it; many of them
   * refused at accept on the way. Afterwards each source may again hold exactly its limit.
   */
  @Test
  void placesAreGivenBackAfterManyOpenAndCloseCycles() throws Exception {
    int limit = 4;
    int cycles = 1_000;
    try (LifelineServer server = Fixtures.server(dir, (s, seq, m) -> { })
            .maxConnectionsPerSource(limit)
            .maxHandshakesPerSource(limit)
            .start()) {
      SSLContext tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
      InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port());
      LongAdder completed = new LongAdder();
      LongAdder handshakes = new LongAdder();
      ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
      List<Thread> threads = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < 8; t++) {
        String source = "127.0.0." + (2 + t % 4);
        Thread thread = new Thread(() -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          for (int i = 0; i < cycles / 8; i++) {
            try {
              Socket s;
              try {
                s = connect(target, source);
              } catch (SocketException refusedAtAccept) {
                completed.increment(); // reset so fast that connect saw it
                continue;
              }
              try {
                switch (random.nextInt(3)) {
                  case 0 -> { } // closed at once
                  case 1 -> { // closed in the middle of the handshake
                    try {
                      s.getOutputStream().write(SlowPeersTest.HALF_A_CLIENT_HELLO);
                      s.getOutputStream().flush();
                    } catch (SocketException refusedAtAccept) {
                      // a reset: this source held its limit at that moment
                    }
                  }
                  default -> { // closed after it (if not refused at accept)
                    try (RawSessionClient c = RawSessionClient.over(tls, s)) {
                      handshakes.increment();
                    } catch (IOException refusedAtAccept) {
                      // a reset: this source held its limit at that moment
                    }
                  }
                }
              } finally {
                s.close();
              }
              completed.increment();
            } catch (IOException | RuntimeException e) {
              errors.add(e);
            }
          }
        }, "cycles-" + t);
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join(TimeUnit.MINUTES.toMillis(5));
        assertTrue(!thread.isAlive(), "cycles did not finish in 5 min");
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(errors.isEmpty(), () -> errors.size() + " errors, e.g. " + errors.peek());
      assertEquals(cycles, completed.sum());
      assertTrue(handshakes.sum() > 0, "no cycle completed a handshake");
      awaitConnections(server, 0);

      // Nothing left counted: every source may hold its whole limit of stalled handshakes again,
      // and not one more.
      long refusedBefore = server.refusedConnections();
      for (int i = 2; i <= 5; i++) {
        for (int n = 0; n < limit; n++) {
          stall(target, "127.0.0." + i);
        }
      }
      awaitConnections(server, 4 * limit);
      assertEquals(refusedBefore, server.refusedConnections());
      for (int i = 2; i <= 5; i++) {
        assertRefused(target, "127.0.0." + i);
      }
      assertEquals(refusedBefore + 4, server.refusedConnections());
      System.out.printf("FIGURES per-source cycles: %d connections from 4 sources in %.1f s, "
          + "%d completed a handshake, %d refused at accept on the way%n", cycles, seconds,
          handshakes.sum(), refusedBefore);
    }
  }

  /** Connects from {@code source} and sends nothing; kept until the test ends. */
  private Socket stall(InetSocketAddress target, String source) throws IOException {
    Socket s = connect(target, source);
    synchronized (sockets) {
      sockets.add(s);
    }
    return s;
  }

  private static Socket connect(InetSocketAddress target, String source) throws IOException {
    Socket s = new Socket();
    try {
      s.bind(new InetSocketAddress(source, 0));
      s.connect(target, 30_000);
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  private static void awaitConnections(LifelineServer server, int expected) {
    Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> server.connectionCount() == expected);
  }

  /**
   * A connection from {@code source} is closed (with a reset) without a byte. On loopback the
   * reset can come so fast that {@code connect} itself reports it.
   */
  private void assertRefused(InetSocketAddress target, String source) throws IOException {
    Socket s;
    try {
      s = stall(target, source);
    } catch (SocketException resetDuringConnect) {
      return;
    }
    SlowPeersTest.assertClosedWithoutAByte(s, 20_000,
        "a connection beyond its source's limit was held open");
  }
}
