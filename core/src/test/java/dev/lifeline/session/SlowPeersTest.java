package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.internal.protocol.Frame;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and idle peers: {@value #STALLED} connections (fewer if {@code ulimit -n} cannot hold them)
 * that stall before the TLS handshake (connect, send nothing), during it (half a ClientHello) and
 * after it (handshake done, no OPEN/RESUME) are all held at once; meanwhile a real client still
 * opens a session and transfers, and a connection beyond {@code maxConnections} is closed at
 * accept. Then the stalled ones are closed at the handshake timeout or the idle timeout (the
 * latter with a CLOSE TIMEOUT), and every place they took is given back.
 */
class SlowPeersTest {
  static final int STALLED = 1000;
  /** Of {@link #STALLED}: a tenth finish the handshake (the costly kind for the test itself). */
  static final int AFTER_HANDSHAKE_SHARE = 10;
  static final Duration TIMEOUT = Duration.ofSeconds(30); // 20 s left too little to make 1,000 stalls at load 30
  /** Threads making the stalls. */
  static final int MAKERS = 16;
  /** Descriptors the test JVM needs besides two per stalled connection. */
  static final int FD_RESERVE = 300;

  @TempDir Path dir;

  @Test
  void stalledConnectionsAreHeldUntilTheirTimeoutWithoutLockingOutARealClient() throws Exception {
    int stalled = stalledCount();
    int afterHandshake = stalled / AFTER_HANDSHAKE_SHARE;
    int before = (stalled - afterHandshake) / 2;
    int during = stalled - afterHandshake - before;
    int cap = stalled + 2; // the stalled ones, the real client, one more
    Fixtures.CheckedStream receiver = new Fixtures.CheckedStream();
    List<Socket> raw = Collections.synchronizedList(new ArrayList<>());
    List<RawSessionClient> idle = Collections.synchronizedList(new ArrayList<>());
    // Making a stall is mostly waiting for the server (a TCP accept, a TLS round trip), so many
    // threads make them sooner on a loaded machine than a few would; the CPU cost is the same.
    ExecutorService pool = Executors.newFixedThreadPool(MAKERS);
    try (LifelineServer server = Fixtures.server(dir, receiver)
            .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls"))
                .handshakeTimeout(TIMEOUT)
                .maxConcurrentHandshakes(cap) // slots for every stall: see docs/security.md
                .build())
            .idleTimeout(TIMEOUT)
            .maxConnections(cap)
            // Room for every stall from each of the four sources: this test shows what the
            // timeouts and maxConnections do (PerSourceLimitsTest shows the per-source limits).
            .maxConnectionsPerSource(cap)
            .maxHandshakesPerSource(cap)
            .start()) {
      SSLContext tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
      InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port());

      long startNanos = System.nanoTime();
      List<Future<?>> made = new ArrayList<>();
      for (int i = 0; i < afterHandshake; i++) {
        int n = i;
        made.add(pool.submit(() -> {
          // the server may take until its handshake timeout; the client must not give up first
          idle.add(RawSessionClient.over(tls, connect(target, n), TIMEOUT));
          return null;
        }));
      }
      for (int i = 0; i < before + during; i++) {
        int n = i;
        boolean partial = i >= before;
        made.add(pool.submit(() -> {
          Socket s = connect(target, n);
          if (partial) {
            s.getOutputStream().write(HALF_A_CLIENT_HELLO);
            s.getOutputStream().flush();
          }
          raw.add(s);
          return null;
        }));
      }
      for (Future<?> f : made) {
        f.get(2, TimeUnit.MINUTES);
      }
      double madeSeconds = (System.nanoTime() - startNanos) / 1e9;
      Awaitility.await("all " + stalled + " stalls held (made in " + madeSeconds + " s)")
          .atMost(Duration.ofSeconds(5)).until(() -> server.connectionCount() == stalled);

      // A real client gets through while they are held.
      try (LifelineClient client = Fixtures.client(dir, server.port()).build()) {
        Session session = client.open("real", (s, seq, m) -> { }).get(30, TimeUnit.SECONDS);
        Fixtures.sendAll(session, 100, 4096);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received() == 100);
        assertEquals(stalled + 1, server.connectionCount());

        // One more fits the cap; the next is closed at accept, before TLS. (The second connects
        // only once the first is admitted: two connections accepted together are admitted on
        // different event loops, in either order.)
        try (Socket last = connect(target, 0)) {
          Awaitility.await().atMost(Duration.ofSeconds(10))
              .until(() -> server.connectionCount() == cap);
          Socket excess = connect(target, 1);
          raw.add(excess); // closed at the end
          Awaitility.await().atMost(Duration.ofSeconds(10))
              .until(() -> server.refusedConnections() == 1);
          excess.setSoTimeout(10_000);
          assertEquals(-1, excess.getInputStream().read(), "closed without a byte");
          assertEquals(cap, server.connectionCount());
          // What the checks above prove needs every stall held throughout: none may have reached
          // its timeout yet. (Only a machine far slower than CI at load 30 gets here this late.)
          double heldSeconds = (System.nanoTime() - startNanos) / 1e9;
          assertTrue(heldSeconds < TIMEOUT.toSeconds(), "the stalls were made in " + madeSeconds
              + " s and checked until " + heldSeconds + " s: the first could have timed out");
        }

        // The timeouts close every stall; only the real client's connection is left.
        Awaitility.await().atMost(TIMEOUT.plusSeconds(30))
            .until(() -> server.connectionCount() == 1);
        double closedAfter = (System.nanoTime() - startNanos) / 1e9;
        assertTrue(closedAfter >= TIMEOUT.toSeconds(), "closed after " + closedAfter + " s");
        for (Socket s : raw) {
          assertClosed(s);
        }
        for (RawSessionClient c : idle) {
          Frame answer = c.read();
          assertTrue(answer instanceof Frame.Close close && close.code() == ErrorCode.TIMEOUT,
              "an idle connection is told why: " + answer);
        }
        // Everything taken is given back: new connections and handshakes are admitted.
        assertTrue(receiver.ok(), receiver.errors::toString);
        assertEquals(0, session.stats().reconnects(), "the real session was disturbed");
        try (RawSessionClient again = RawSessionClient.over(tls, connect(target, 0))) {
          assertEquals(2, server.connectionCount());
        }
        System.out.printf("FIGURES slow peers: %d stalled (%d before, %d during, %d after the "
                + "handshake) made in %.1f s, held until the %d s timeouts, all closed %.1f s "
                + "after the first; fd limit %d%n", stalled, before, during, afterHandshake,
            madeSeconds, TIMEOUT.toSeconds(), closedAfter, fdLimit());
      }
    } finally {
      pool.shutdownNow();
      for (Socket s : raw) {
        s.close();
      }
      for (RawSessionClient c : idle) {
        c.close();
      }
    }
  }

  /** Connects from 127.0.0.2-5 in turn where they can be bound (several sources). */
  private static Socket connect(InetSocketAddress target, int n) throws IOException {
    Socket s = new Socket();
    try {
      s.bind(new InetSocketAddress("127.0.0." + (2 + n % 4), 0));
    } catch (IOException notLinux) {
      s.close();
      s = new Socket();
    }
    s.connect(target, 30_000);
    return s;
  }

  private static void assertClosed(Socket s) throws IOException {
    assertClosedWithoutAByte(s, 10_000, "a stalled connection is still open");
  }

  /**
   * The server closes {@code s} (end of stream or a reset) within {@code timeoutMillis} without
   * sending a byte; otherwise fails with {@code stillOpen}.
   */
  static void assertClosedWithoutAByte(Socket s, int timeoutMillis, String stillOpen)
      throws IOException {
    s.setSoTimeout(timeoutMillis);
    try {
      assertEquals(-1, s.getInputStream().read(), "the server closed the connection");
    } catch (SocketException reset) {
      // closed with a reset: also closed
    } catch (SocketTimeoutException e) {
      throw new AssertionError(stillOpen, e);
    }
  }

  /** As many stalls as the descriptor limit allows (each takes one here and one in the server). */
  private static int stalledCount() {
    long limit = fdLimit();
    if (limit < 0 || limit >= 2L * STALLED + FD_RESERVE) {
      return STALLED;
    }
    int fits = (int) Math.max(10, (limit - FD_RESERVE) / 2);
    System.out.println("ulimit -n is " + limit + ": holding " + fits + " stalled connections, not "
        + STALLED);
    return fits;
  }

  static long fdLimit() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return -1;
  }

  /** A TLS record header announcing a 512-byte handshake record, and the start of a ClientHello. */
  static final byte[] HALF_A_CLIENT_HELLO = {
      0x16, 0x03, 0x01, 0x02, 0x00, // handshake record, TLS 1.0 legacy version, 512 bytes
      0x01, 0x00, 0x01, (byte) 0xfc, // ClientHello, 508 bytes
      0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8 // legacy version 1.2, the first bytes of random
  };
}
