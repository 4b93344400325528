package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.internal.session.SourceLimits.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class SourceLimitsTest {
  @Test
  void aSourceIsRefusedBeyondItsConnectionsAndItsUnfinishedHandshakes() {
    SourceLimits limits = new SourceLimits(3, 2);
    assertEquals(Verdict.ADMITTED, limits.acquire("10.0.0.1"));
    assertEquals(Verdict.ADMITTED, limits.acquire("10.0.0.1"));
    assertEquals(Verdict.TOO_MANY_HANDSHAKES, limits.acquire("10.0.0.1"));
    assertEquals(Verdict.ADMITTED, limits.acquire("10.0.0.2"), "other sources are not affected");

    limits.handshakeDone("10.0.0.1");
    assertEquals(Verdict.ADMITTED, limits.acquire("10.0.0.1"), "a finished handshake frees one");
    limits.handshakeDone("10.0.0.1");
    limits.handshakeDone("10.0.0.1");
    assertEquals(3, limits.connections("10.0.0.1"));
    assertEquals(0, limits.handshakes("10.0.0.1"));
    assertEquals(Verdict.TOO_MANY_CONNECTIONS, limits.acquire("10.0.0.1"));

    limits.closed("10.0.0.1");
    assertEquals(Verdict.ADMITTED, limits.acquire("10.0.0.1"), "a closed connection frees one");
  }

  @Test
  void aSourceIsForgottenWhenItsLastConnectionCloses() {
    SourceLimits limits = new SourceLimits(5, 5);
    limits.acquire("10.0.0.1");
    limits.acquire("10.0.0.1");
    assertEquals(1, limits.sources());
    for (int i = 0; i < 2; i++) {
      limits.handshakeDone("10.0.0.1");
      limits.closed("10.0.0.1");
    }
    assertEquals(0, limits.sources());
    assertEquals(0, limits.connections("10.0.0.1"));
  }

  @Test
  void aRefusalCountsNothing() {
    SourceLimits limits = new SourceLimits(2, 1);
    limits.acquire("10.0.0.1");
    for (int i = 0; i < 10; i++) {
      assertEquals(Verdict.TOO_MANY_HANDSHAKES, limits.acquire("10.0.0.1"));
    }
    assertEquals(1, limits.connections("10.0.0.1"));
    limits.handshakeDone("10.0.0.1");
    limits.closed("10.0.0.1");
    assertEquals(0, limits.sources());
  }

  @Test
  void limitsMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new SourceLimits(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new SourceLimits(1, 0));
  }

  @Test
  void ipv6SourcesAreGroupedByTheirSlash64AndIpv4ByAddress() throws Exception {
    String a = SourceLimits.of(new InetSocketAddress(
        InetAddress.getByName("2001:db8:1:2:aaaa::1"), 4000));
    String b = SourceLimits.of(new InetSocketAddress(
        InetAddress.getByName("2001:db8:1:2:ffff:1:2:3"), 4001));
    String other = SourceLimits.of(new InetSocketAddress(
        InetAddress.getByName("2001:db8:1:3::1"), 4000));
    assertEquals("2001:db8:1:2::/64", a);
    assertEquals(a, b);
    assertEquals("2001:db8:1:3::/64", other);
    assertEquals("0:0:0:0::/64", SourceLimits.of(InetAddress.getByName("::1")));
    assertEquals("192.0.2.7", SourceLimits.of(new InetSocketAddress(
        InetAddress.getByName("192.0.2.7"), 5000)));
    assertEquals("192.0.2.8", SourceLimits.of(InetAddress.getByName("::ffff:192.0.2.8")),
        "an IPv4-mapped address counts as its IPv4 address");
  }

  @Test
  void refusalsOfAnIpv6PeerCountAgainstItsSlash64() {
    assertEquals("2001:db8:1:2::/64", ServerSessions.host(
        new dev.lifeline.Authenticator.Peer("2001:db8:1:2:0:0:0:7:4000", null)));
    assertEquals(ServerSessions.host(new dev.lifeline.Authenticator.Peer("2001:db8:1:2:9:9:9:9:1", null)),
        ServerSessions.host(new dev.lifeline.Authenticator.Peer("2001:db8:1:2:0:0:0:7:4000", null)));
    assertEquals("127.0.0.2", ServerSessions.host(
        new dev.lifeline.Authenticator.Peer("127.0.0.2:4000", null)));
    assertEquals("not-an-address", SourceLimits.ofHost("not-an-address"), "no name lookup");
    assertEquals("zz:zz", SourceLimits.ofHost("zz:zz"), "not a literal: kept as it is");
  }

  /**
   * Threads acquire, finish handshakes and close on a few shared sources at once, as accepts,
   * handshake completions and closes on different event loops do. No update may be lost: the
   * limits hold at every moment, and every count returns to 0 at the end.
   */
  @Test
  void concurrentAcquiresAndReleasesNeverExceedTheLimitsNorLeak() throws Exception {
    int maxConnections = 3;
    int maxHandshakes = 2;
    int sources = 2;
    int threads = 8;
    int rounds = 5_000;
    SourceLimits limits = new SourceLimits(maxConnections, maxHandshakes);
    // What the threads hold, counted on the side, to check the limits hold at every moment.
    AtomicIntegerArray held = new AtomicIntegerArray(sources);
    AtomicIntegerArray handshaking = new AtomicIntegerArray(sources);
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < rounds; i++) {
          int s = random.nextInt(sources);
          String source = "10.0.0." + s;
          if (limits.acquire(source) != Verdict.ADMITTED) {
            refused.incrementAndGet();
            continue;
          }
          admitted.incrementAndGet();
          if (held.incrementAndGet(s) > maxConnections) {
            violations.add(source + " held " + held.get(s) + " connections");
          }
          if (handshaking.incrementAndGet(s) > maxHandshakes) {
            violations.add(source + " held " + handshaking.get(s) + " handshakes");
          }
          Thread.onSpinWait();
          handshaking.decrementAndGet(s); // before the release: the limit may reuse it at once
          boolean closeDuringHandshake = random.nextInt(4) == 0;
          if (!closeDuringHandshake) {
            limits.handshakeDone(source);
            Thread.yield(); // an established connection, held a little longer
          } else {
            limits.handshakeDone(source); // what the gate does first on close
          }
          held.decrementAndGet(s);
          limits.closed(source);
        }
      });
      running.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : running) {
      thread.join(120_000);
      assertTrue(!thread.isAlive(), "a thread did not finish in 2 min");
    }
    assertTrue(violations.isEmpty(), () -> violations.size() + " violations, e.g. "
        + violations.stream().limit(3).toList());
    assertEquals(threads * rounds, admitted.get() + refused.get());
    assertTrue(refused.get() > 0, "the limits were never reached: the test proves nothing");
    assertEquals(0, limits.sources(), "a source was left counted");
    for (int s = 0; s < sources; s++) {
      assertEquals(0, limits.connections("10.0.0." + s));
      assertEquals(0, limits.handshakes("10.0.0." + s));
    }
  }
}
