package dev.lifeline.testing;

import dev.lifeline.testing.ChaosSpec.Mode;
import dev.lifeline.testing.internal.ChaosPlan;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on loopback that breaks connections on purpose, for tests that prove a session
 * survives a broken network. Real sockets, so peers see real resets, real end of stream and real
 * silence.
 *
 * <p>Without a plan it forwards bytes unchanged in both directions (half-closes pass through). With
 * a {@linkplain #setPlan(ChaosSpec, long) plan} each new connection is cut after a random number
 * of bytes, counted over both directions, drawn from a seeded generator in accept order, so a
 * test sees the same cuts every run. {@link #cutAll(Mode)} cuts the live connections at once.
 *
 * <ul>
 *   <li>RST: both sockets closed with {@code SO_LINGER 0}; both peers see "Connection reset".
 *   <li>FIN: both sockets shut down for output, then closed; both peers read end of stream.
 *   <li>BLACKHOLE: both sockets stay open; nothing is forwarded any more and what arrives is
 *       discarded. No peer sees anything, only a heartbeat timeout can tell.
 * </ul>
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port())) {
 *   proxy.setPlan(ChaosSpec.parse("cut=64K..1M,mode=mix,count=3"), 42);
 *   client.connect("127.0.0.1", proxy.port());
 *   ...
 *   assertEquals(3, proxy.cuts());
 * }
 * }</pre>
 *
 * <p>With {@linkplain #setLatency(Duration, long) latency} it behaves as a long path: every byte
 * arrives a fixed time after it was sent, with a bounded number of bytes in flight.
 *
 * <p>Threads: one acceptor and two per connection, four with latency (blocking I/O, 64 KiB
 * buffers), all daemons named {@code fault-proxy-N-...}. {@link #close()} closes every socket and waits for every thread.
 * Thread-safe.
 */
public final class FaultProxy implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
  private static final AtomicInteger PROXY_IDS = new AtomicInteger();
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
  private static final long JOIN_MILLIS = 10_000;

  private final ServerSocket server;
  private final String threadNamePrefix;
  private final Thread acceptor;
  private final Set<ProxiedConnection> live = ConcurrentHashMap.newKeySet();

  /**
   * Connections whose threads may still run: a superset of {@link #live}, because a pump thread
   * is still alive for a moment after its connection has ended. Pruned on every accept.
   */
  private final Queue<ProxiedConnection> unjoined = new ConcurrentLinkedQueue<>();
  private final AtomicLong accepted = new AtomicLong();

  /** Cuts made, planned or not, indexed by {@link Mode#ordinal()}. */
  private final AtomicLongArray cuts = new AtomicLongArray(Mode.values().length);

  /** Bytes forwarded client to target (index 0) and target to client (index 1). */
  private final AtomicLongArray forwarded = new AtomicLongArray(2);

  private volatile InetSocketAddress target;

  /** Null when connections run clean. A new plan applies to connections accepted after it. */
  private volatile ChaosPlan plan;

  /** Null for no delay. A new latency applies to connections accepted after it. */
  private volatile Latency latency;

  /** The most bytes any one direction of any connection has held in its delay line. */
  private final AtomicLong delayHighWater = new AtomicLong();

  private volatile boolean closed;

  private FaultProxy(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
    this.threadNamePrefix = "fault-proxy-" + PROXY_IDS.incrementAndGet() + "-";
    this.acceptor = new Thread(this::acceptLoop, threadNamePrefix + "accept");
    acceptor.setDaemon(true);
  }

  /** Starts a proxy on 127.0.0.1, an ephemeral port, forwarding to the target. */
  public static FaultProxy start(String targetHost, int targetPort) throws IOException {
    final ServerSocket server = new ServerSocket();
    try {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    } catch (IOException e) {
      server.close();
      throw e;
    }
    final FaultProxy proxy = new FaultProxy(server, address(targetHost, targetPort));
    proxy.acceptor.start();
    log.debug("fault proxy on port {} -> {}:{}", server.getLocalPort(), targetHost, targetPort);
    return proxy;
  }

  /** The port to connect to instead of the target. */
  public int port() {
    return server.getLocalPort();
  }

  /** Where new connections go; live ones stay where they are (e.g. to move to another node). */
  public void setTarget(String host, int port) {
    target = address(host, port);
  }

  /**
   * Cuts new connections as the spec says, drawing from a generator seeded with {@code seed};
   * replaces any earlier plan (and its count).
   */
  public void setPlan(ChaosSpec spec, long seed) {
    plan = new ChaosPlan(spec, new SplittableRandom(seed));
  }

  /** Same as {@code setPlan(ChaosSpec.parse(spec), seed)}. */
  public void setPlan(String spec, long seed) {
    setPlan(ChaosSpec.parse(spec), seed);
  }

  /** New connections run clean again; live connections keep the cut they were given. */
  public void clearPlan() {
    plan = null;
  }

  /**
   * Makes connections accepted from now on behave as a long path: each direction holds every
   * byte {@code oneWay} before writing it on, with at most {@code maxInFlightBytes} held per
   * direction. A full direction stops reading its sender, whose TCP window then closes, as
   * behind a real slow link: the product of the two is the path's bandwidth-delay product, and
   * the most it can carry is {@code maxInFlightBytes / oneWay} per direction. Live connections
   * keep what they had.
   *
   * <p>Cuts still work: a planned cut travels with the byte it is planned at and happens when
   * that byte arrives; any cut drops the bytes still held (for FIN too: they were on a wire
   * that is gone). A half-close arrives after the bytes sent before it.
   *
   * <pre>{@code
   * // an 80 ms round trip that carries at most 16 MiB / 40 ms = 400 MiB/s each way
   * proxy.setLatency(Duration.ofMillis(40), 16 << 20);
   * client.connect("127.0.0.1", proxy.port());
   * }</pre>
   *
   * @param oneWay the delay of each direction, zero or more
   * @param maxInFlightBytes the most bytes each direction holds at once, at least 1
   */
  public void setLatency(Duration oneWay, long maxInFlightBytes) {
    Objects.requireNonNull(oneWay, "oneWay");
    if (oneWay.isNegative()) {
      throw new IllegalArgumentException("oneWay: " + oneWay + " (expected: >= 0)");
    }
    if (maxInFlightBytes < 1) {
      throw new IllegalArgumentException(
          "maxInFlightBytes: " + maxInFlightBytes + " (expected: >= 1)");
    }
    latency = new Latency(oneWay.toNanos(), maxInFlightBytes);
  }

  /** Connections accepted from now on pass bytes without delay; live ones keep theirs. */
  public void clearLatency() {
    latency = null;
  }

  /** The most bytes one direction of a connection has held in its delay line (for tests). */
  long delayLineHighWaterBytes() {
    return delayHighWater.get();
  }

  /** A one-way delay and the bytes each direction may hold; see {@link #setLatency}. */
  record Latency(long oneWayNanos, long maxInFlightBytes) {
    DelayLine newLine(AtomicLong highWater) {
      return new DelayLine(oneWayNanos, maxInFlightBytes, highWater);
    }
  }

  /**
   * Cuts every live connection now. A black-holed connection may still be cut by RST or FIN;
   * one already reset or finished is left alone.
   *
   * @param mode RST, FIN or BLACKHOLE
   */
  public void cutAll(Mode mode) {
    Objects.requireNonNull(mode, "mode");
    if (mode == Mode.MIX) {
      throw new IllegalArgumentException("mode: MIX (expected: RST, FIN or BLACKHOLE)");
    }
    // The connections live now, not those made while cutting: a client reconnects within the
    // few ms each cut takes, and its new connection must not be cut too.
    for (ProxiedConnection connection : java.util.List.copyOf(live)) {
      connection.cut(mode);
    }
  }

  /** Silences every live connection; same as {@code cutAll(Mode.BLACKHOLE)}. */
  public void blackholeAll() {
    cutAll(Mode.BLACKHOLE);
  }

  /** Connections accepted since start, including ones whose target could not be reached. */
  public long connectionsAccepted() {
    return accepted.get();
  }

  /** Connections whose pump threads are still running. */
  public int liveConnections() {
    return live.size();
  }

  /** Cuts made so far, planned and by {@link #cutAll}. */
  public long cuts() {
    long sum = 0;
    for (int i = 0; i < cuts.length(); i++) {
      sum += cuts.get(i);
    }
    return sum;
  }

  /** Cuts made so far in one mode. */
  public long cuts(Mode mode) {
    return cuts.get(mode.ordinal());
  }

  /**
   * Bytes forwarded so far from clients to the target ({@code toTarget}) or back, over every
   * connection; what a cut discards is not counted. A test waits on it for traffic it cannot see
   * otherwise, e.g. a heartbeat crossing a quiet session.
   */
  public long bytesForwarded(boolean toTarget) {
    return forwarded.get(toTarget ? 0 : 1);
  }

  void forwarded(boolean toTarget, int bytes) {
    forwarded.addAndGet(toTarget ? 0 : 1, bytes);
  }

  /** Closes the listening socket and every connection, and waits for every proxy thread. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      log.debug("closing listening socket", e);
    }
    // The acceptor goes first so no connection can appear after the sweep below.
    final List<ProxiedConnection> toJoin = new ArrayList<>();
    try {
      acceptor.join(JOIN_MILLIS);
      toJoin.addAll(unjoined);
      toJoin.forEach(ProxiedConnection::close);
      for (ProxiedConnection connection : toJoin) {
        connection.join(JOIN_MILLIS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  String threadNamePrefix() {
    return threadNamePrefix;
  }

  void cutDone(Mode mode) {
    cuts.incrementAndGet(mode.ordinal());
  }

  void connectionEnded(ProxiedConnection connection) {
    live.remove(connection);
  }

  private void acceptLoop() {
    while (!closed) {
      final Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (closed || server.isClosed()) {
          return;
        }
        log.warn("fault proxy: accept failed", e);
        pause(); // e.g. out of file descriptors: do not spin
        continue;
      }
      unjoined.removeIf(ProxiedConnection::finished);
      final long id = accepted.incrementAndGet();
      try {
        connect(id, client);
      } catch (RuntimeException e) {
        log.warn("fault proxy: connection {} failed", id, e);
        closeQuietly(client);
      }
    }
  }

  private void connect(long id, Socket client) {
    final Socket upstream = new Socket();
    try {
      client.setTcpNoDelay(true); // a proxy must not add Nagle delays the peers did not ask for
      upstream.setTcpNoDelay(true);
      upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
    } catch (IOException e) {
      log.info("fault proxy: target {} unreachable ({}), resetting client", target, e.toString());
      closeQuietly(upstream);
      resetQuietly(client);
      return;
    }
    final ChaosPlan current = plan;
    final ChaosSpec.Cut cut = current == null ? null : current.armOrNull();
    final ProxiedConnection connection =
        new ProxiedConnection(this, id, client, upstream, cut, current, latency, delayHighWater);
    live.add(connection);
    unjoined.add(connection);
    connection.start();
  }

  private static InetSocketAddress address(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
    }
    return new InetSocketAddress(host, port);
  }

  private static void pause() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void resetQuietly(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
    } catch (IOException e) {
      // closed already
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing useful to do while tearing down
    }
  }

  @Override
  public String toString() {
    return "FaultProxy{port=" + port() + ", target=" + target + ", live=" + live.size() + "}";
  }
}
