package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume token brute force: {@value #DEFAULT_ATTEMPTS} (or 100,000, see below) forged RESUMEs
 * (random tokens for a real session id, random session ids) from several source addresses
 * (127.0.0.2, .3, ... — every 127/8 address is local on Linux) while a real transfer runs from
 * 127.0.0.1. Every attempt must be refused: with a CLOSE naming why (UNKNOWN_SESSION,
 * INVALID_TOKEN, RATE_LIMITED), or, once a source is over its refusal limit, by a reset at accept
 * before any TLS work. The number that reached a TLS handshake is bounded by the limiter's
 * configuration, the real session is not disturbed (no reconnect, every message once and in
 * order), and the server's CPU per attempt and the transfer's rate alone and under attack are
 * printed (see docs/security.md).
 *
 * <p>{@code -Dlifeline.bruteForce.attempts=100000 -Dlifeline.bruteForce.maxSeconds=3600} is the
 * full run.
 */
class ResumeBruteForceTest {
  /** The normal suite's count; the full 100,000 run is {@code -Dlifeline.bruteForce.attempts=100000}. */
  static final int DEFAULT_ATTEMPTS = 5_000;
  static final int ATTEMPTS = Integer.getInteger("lifeline.bruteForce.attempts", DEFAULT_ATTEMPTS);
  static final int SOURCES = 4;
  static final int THREADS_PER_SOURCE = 2;
  static final int BURST = 20;
  static final double PER_SECOND = 2;
  static final int SPREAD = 64 * 1024;
  /** How long an attacker waits to see whether the server reset its connection at accept. */
  static final int PROBE_MILLIS = 50;
  /**
   * Attack time after which the normal suite stops early on a slow machine (a slow attacker's
   * attempts are mostly within the limit, each a full handshake, which makes it slower still).
   * {@code -Dlifeline.bruteForce.maxSeconds=N}; the full run sets it high.
   */
  static final long MAX_ATTACK_SECONDS = Long.getLong("lifeline.bruteForce.maxSeconds", 60);
  static final long WARMUP_MILLIS = 3_000;
  /** The transfer alone and under attack alternate in phases of this length. */
  static final long PHASE_MILLIS = 2_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  private final LongAdder attempted = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder handshakes = new LongAdder();
  private final LongAdder probeNanos = new LongAdder();
  private final java.util.concurrent.atomic.AtomicInteger inFlight =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean paused = true;
  private final Map<ErrorCode, LongAdder> closes = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();

  @Test
  void forgedResumesAreAllRefusedCheaplyWhileARealTransferRuns() throws Exception {
    List<InetAddress> sources = attackSources();
    Fixtures.CheckedStream receiver = new Fixtures.CheckedStream();
    SessionHandler ignore = (session, seq, message) -> { };
    try (LifelineServer server = Fixtures.server(dir, receiver)
            .refusalLimit(BURST, PER_SECOND).start();
        LifelineClient client = Fixtures.client(dir, server.port()).build()) {
      SSLContext tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
      Session session = client.open("legit", ignore).get(10, TimeUnit.SECONDS);
      String realId = session.id();

      AtomicBoolean stop = new AtomicBoolean();
      Thread sender = new Thread(() -> sendUntil(session, stop), "legit-sender");
      sender.start();

      // Let the transfer warm up, then alternate: the transfer alone, the transfer under attack,
      // so that both see the same machine (other processes' load comes and goes).
      Thread.sleep(WARMUP_MILLIS);
      AtomicLong remaining = new AtomicLong(ATTEMPTS);
      InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port());
      List<Thread> attackers = new ArrayList<>();
      for (InetAddress source : sources) {
        for (int t = 0; t < THREADS_PER_SOURCE; t++) {
          Thread a = new Thread(() -> attack(source, target, tls, realId, remaining),
              "attacker-" + source.getHostAddress() + "-" + t);
          attackers.add(a);
          a.start();
        }
      }
      long attackStart = System.nanoTime();
      Window alone = new Window();
      Window attacked = new Window();
      long deadline = attackStart + TimeUnit.MINUTES.toNanos(30);
      while (attackers.stream().anyMatch(Thread::isAlive)) {
        assertTrue(System.nanoTime() < deadline, "the attack did not finish in 30 min");
        paused = true;
        while (inFlight.get() > 0) {
          Thread.sleep(1);
        }
        alone.measure(receiver, PHASE_MILLIS, () -> false);
        paused = false;
        attacked.measure(receiver, PHASE_MILLIS, () -> remaining.get() <= 0 && inFlight.get() == 0);
        if (attacked.seconds() > MAX_ATTACK_SECONDS && remaining.getAndSet(0) > 0) {
          System.out.println("stopping the attack after " + MAX_ATTACK_SECONDS + " s: "
              + attempted.sum() + " of " + ATTEMPTS + " attempts made (a slow machine)");
        }
      }
      double seconds = (System.nanoTime() - attackStart) / 1e9;
      stop.set(true);
      sender.join(60_000);

      long refusedByCode = closes.values().stream().mapToLong(LongAdder::sum).sum();
      assertTrue(unexpected.isEmpty(), () -> unexpected.size() + " unexpected outcomes, e.g. "
          + unexpected.stream().limit(3).toList());
      long made = attempted.sum();
      assertTrue(made >= Math.min(ATTEMPTS, 500), "only " + made + " attempts made");
      assertEquals(made, dropped.sum() + refusedByCode, "every attempt is refused");
      for (ErrorCode code : closes.keySet()) {
        assertTrue(code == ErrorCode.UNKNOWN_SESSION || code == ErrorCode.INVALID_TOKEN
            || code == ErrorCode.RATE_LIMITED, "refused with " + code);
      }
      // A source reaches a handshake for its burst, then for what its bucket regains, plus one
      // RATE_LIMITED notice a second: all else is reset at accept.
      // (Up to THREADS_PER_SOURCE connections of a source pass while its last token is in play.)
      long bound = (long) Math.ceil(sources.size()
          * (BURST + THREADS_PER_SOURCE * (PER_SECOND + 1) * (seconds + 1)));
      assertTrue(handshakes.sum() <= bound, handshakes.sum() + " attempts reached a TLS "
          + "handshake in " + seconds + " s (expected: <= " + bound + ")");
      assertTrue(server.refusedConnections() >= dropped.sum(),
          "the server counted " + server.refusedConnections() + " connections refused at accept, "
              + "the attackers saw " + dropped.sum());

      assertTrue(receiver.ok(), receiver.errors::toString);
      assertEquals(0, session.stats().reconnects(), "the real session was disturbed");
      assertTrue(session.isConnected());

      double serverCpu = attacked.serverCpu - alone.cpuPerByte() * attacked.bytes;
      System.out.printf("FIGURES brute force (load average %s): %d attempts from %d sources in "
              + "%.1f s of attack (%.0f/s): %d reset at accept, %d reached TLS, refusals by code %s; server CPU "
              + "%.1f ms total under attack, %.1f us per attempt net of the transfer "
              + "(%.1f us raw); transfer alone %.1f MB/s, under attack %.1f MB/s (%.0f%%); "
              + "attacker waited %.2f ms per reset%n",
          loadAverage(), made, sources.size(), attacked.seconds(),
          made / attacked.seconds(), dropped.sum(),
          handshakes.sum(), closes, attacked.serverCpu / 1e6, serverCpu / 1e3 / made,
          attacked.serverCpu / 1e3 / made, alone.megabytesPerSecond(),
          attacked.megabytesPerSecond(),
          100 * attacked.megabytesPerSecond() / alone.megabytesPerSecond(),
          probeNanos.sum() / 1e6 / Math.max(1, dropped.sum()));

    }
  }

  /**
   * What a refusal at accept costs the server: every source is over its limit after one refused
   * attempt (burst 1, almost no refill), then hammers the server. Apart from one RATE_LIMITED
   * notice a second per source, each attempt is an accept and a reset.
   */
  @Test
  void aSourceOverItsLimitCostsTheServerAnAcceptAndAReset() throws Exception {
    List<InetAddress> sources = attackSources();
    int attempts = Integer.getInteger("lifeline.bruteForce.resets", 5_000);
    try (LifelineServer server = Fixtures.server(dir, (s, seq, m) -> { })
        .refusalLimit(1, 0.001).start()) {
      SSLContext tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
      InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port());
      for (InetAddress source : sources) {
        attempt(source, target, tls, "forged"); // the one refusal the bucket holds
      }
      paused = false;
      AtomicLong remaining = new AtomicLong(attempts);
      long cpu = ServerThreads.cpuNanos();
      long from = System.nanoTime();
      List<Thread> attackers = new ArrayList<>();
      for (InetAddress source : sources) {
        for (int t = 0; t < THREADS_PER_SOURCE; t++) {
          Thread a = new Thread(() -> attack(source, target, tls, "forged", remaining));
          attackers.add(a);
          a.start();
        }
      }
      for (Thread a : attackers) {
        a.join(TimeUnit.MINUTES.toMillis(10));
      }
      double seconds = (System.nanoTime() - from) / 1e9;
      cpu = ServerThreads.cpuNanos() - cpu;
      assertTrue(unexpected.isEmpty(), () -> unexpected.size() + " unexpected outcomes, e.g. "
          + unexpected.stream().limit(3).toList());
      long notices = closes.values().stream().mapToLong(LongAdder::sum).sum() - sources.size();
      assertEquals(attempts, attempted.sum());
      assertEquals(attempts, dropped.sum() + notices, "every attempt is refused");
      assertTrue(notices <= sources.size() * (seconds + 1) * THREADS_PER_SOURCE,
          notices + " RATE_LIMITED notices in " + seconds + " s");
      System.out.printf("FIGURES refusal at accept (load average %s): %d attempts from %d "
              + "sources over their limit in %.1f s (%.0f/s): %d reset at accept, %d told "
              + "RATE_LIMITED after a handshake; server CPU %.1f ms, %.1f us per attempt%n",
          loadAverage(), attempts, sources.size(), seconds, attempts / seconds, dropped.sum(),
          notices, cpu / 1e6, cpu / 1e3 / attempts);
    }
  }

  /** 127.0.0.2.. when they can be bound (Linux), else 127.0.0.1 alone. */
  private static List<InetAddress> attackSources() throws IOException {
    List<InetAddress> sources = new ArrayList<>();
    for (int i = 2; i < 2 + SOURCES; i++) {
      InetAddress a = InetAddress.getByName("127.0.0." + i);
      try (Socket s = new Socket()) {
        s.bind(new InetSocketAddress(a, 0));
        sources.add(a);
      } catch (IOException e) {
        System.out.println("cannot bind " + a + " (" + e + "); attacking from 127.0.0.1 only");
        return List.of(InetAddress.getByName("127.0.0.1"));
      }
    }
    return sources;
  }

  private void attack(InetAddress source, InetSocketAddress target, SSLContext tls,
      String realId, AtomicLong remaining) {
    while (remaining.get() > 0) {
      if (paused) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
        continue;
      }
      inFlight.incrementAndGet(); // then look again: the test pauses, then waits for none in flight
      try {
        if (paused) {
          continue;
        }
        if (remaining.getAndDecrement() <= 0) {
          break;
        }
        attempted.increment();
        attempt(source, target, tls, realId);
      } catch (Exception e) {
        StackTraceElement[] at = e.getStackTrace();
        unexpected.add(source.getHostAddress() + ": " + e + " at "
            + java.util.Arrays.toString(java.util.Arrays.copyOf(at, Math.min(at.length, 12))));
      } finally {
        inFlight.decrementAndGet();
      }
    }
  }

  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /**
   * One forged resume. A source over its limit is reset at accept, which the attacker sees within
   * the probe time; otherwise it gets a handshake and a CLOSE.
   */
  private void attempt(InetAddress source, InetSocketAddress target, SSLContext tls,
      String realId) throws IOException {
    Socket raw = new Socket();
    raw.setSoLinger(true, 0); // our close is a reset: no TIME_WAIT to run out of ports
    raw.bind(new InetSocketAddress(source, 0));
    try {
      raw.connect(target, 10_000);
    } catch (java.net.SocketException resetWhileConnecting) {
      raw.close();
      dropped.increment(); // the reset at accept overtook the end of connect
      return;
    }
    raw.setSoTimeout(PROBE_MILLIS);
    long probe = System.nanoTime();
    try {
      int first = raw.getInputStream().read();
      probeNanos.add(System.nanoTime() - probe);
      raw.close();
      if (first < 0) {
        dropped.increment(); // closed at accept
      } else {
        unexpected.add("server spoke first before TLS: " + first);
      }
      return;
    } catch (SocketTimeoutException stillOpen) {
      raw.setSoTimeout(0);
    } catch (java.net.SocketException reset) {
      probeNanos.add(System.nanoTime() - probe);
      raw.close();
      dropped.increment();
      return;
    }
    RawSessionClient c;
    try {
      c = RawSessionClient.over(tls, raw);
    } catch (IOException resetDuringHandshake) {
      dropped.increment(); // accepted after the probe, then reset
      return;
    }
    try (c) {
      handshakes.increment();
      byte[] token = new byte[FrameDescriptor.TOKEN_BYTES];
      RANDOM.nextBytes(token);
      String id = RANDOM.nextBoolean() ? realId : "forged" + RANDOM.nextLong();
      c.send(new Frame.Resume(id, token, new byte[0], new Frame.StreamState(0, 0, new byte[0], 1)));
      Frame answer = c.read();
      if (answer instanceof Frame.Close close) {
        closes.computeIfAbsent(close.code(), k -> new LongAdder()).increment();
      } else {
        unexpected.add("answered " + answer);
      }
    }
  }

  /** Sends a checked stream until told to stop, then waits for the receiver to get it all. */
  private static void sendUntil(Session session, AtomicBoolean stop) {
    try {
      long n = 0;
      while (!stop.get()) {
        session.send(Fixtures.message(++n, SPREAD));
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** What the receiver got, and what the server's threads spent, over stretches of time. */
  private static final class Window {
    double nanos;
    long bytes;
    long serverCpu;

    /** Adds a stretch of {@code millis}, or until {@code done}. */
    void measure(Fixtures.CheckedStream receiver, long millis,
        java.util.function.BooleanSupplier done) throws InterruptedException {
      long fromMessages = receiver.received();
      long fromCpu = ServerThreads.cpuNanos();
      long from = System.nanoTime();
      long until = from + TimeUnit.MILLISECONDS.toNanos(millis);
      while (System.nanoTime() < until && !done.getAsBoolean()) {
        Thread.sleep(10);
      }
      nanos += System.nanoTime() - from;
      serverCpu += ServerThreads.cpuNanos() - fromCpu;
      long to = receiver.received();
      for (long n = fromMessages + 1; n <= to; n++) {
        bytes += Fixtures.messageSize(n, SPREAD);
      }
    }

    double seconds() {
      return nanos / 1e9;
    }

    double megabytesPerSecond() {
      return bytes / 1e6 / seconds();
    }

    double cpuPerByte() {
      return bytes == 0 ? 0 : (double) serverCpu / bytes;
    }
  }

}
