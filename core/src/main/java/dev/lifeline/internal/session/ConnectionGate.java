package dev.lifeline.internal.session;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's first decision about a new connection, taken when it is accepted and before any
 * TLS state exists: refuse it if the server already holds {@code maxConnections}, if its source
 * is over its refusal limit and was already told so in the last second, or if its source (an IPv4
 * address or an IPv6 /64, see {@link SourceLimits}) already holds {@code maxConnectionsPerSource}
 * connections or {@code maxHandshakesPerSource} unfinished handshakes. A refused connection is
 * closed at once (no SSLEngine, no handler, no buffer), so refusing costs an accept and a close:
 * a plain close when the server is full, a reset for a source over one of its limits (no
 * TIME_WAIT state kept for it).
 *
 * <p>A source's handshake is counted from accept until {@link #handshakeStarted its handshake}
 * completes or fails, or the connection closes; its connection until it closes.
 *
 * <p>Refusals are counted, not logged one by one (a flood would flood the log); the first of each
 * kind and then one in every {@value #LOG_EVERY} is logged.
 */
public final class ConnectionGate {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);
  private static final int LOG_EVERY = 10_000;

  private static final AttributeKey<Admission> ADMISSION =
      AttributeKey.valueOf(ConnectionGate.class, "admission");

  private final int maxConnections;
  private final RefusalLimiter limiter;
  private final SourceLimits perSource;
  private final AtomicInteger open = new AtomicInteger();
  private final ChannelGroup channels = new DefaultChannelGroup("lifeline-connections",
      GlobalEventExecutor.INSTANCE);
  private final LongAdder refusedFull = new LongAdder();
  private final LongAdder refusedLimited = new LongAdder();
  private final LongAdder refusedSourceConnections = new LongAdder();
  private final LongAdder refusedSourceHandshakes = new LongAdder();

  public ConnectionGate(int maxConnections, int maxConnectionsPerSource,
      int maxHandshakesPerSource, RefusalLimiter limiter) {
    this.maxConnections = maxConnections;
    this.limiter = limiter;
    this.perSource = new SourceLimits(maxConnectionsPerSource, maxHandshakesPerSource);
  }

  /** What one admitted connection holds of its source's counts; each is given back once. */
  private final class Admission {
    private final String source;
    private final AtomicBoolean handshakeHeld = new AtomicBoolean(true);

    Admission(String source) {
      this.source = source;
    }

    void handshakeDone() {
      if (handshakeHeld.compareAndSet(true, false)) {
        perSource.handshakeDone(source);
      }
    }

    void closed() {
      handshakeDone();
      perSource.closed(source);
      open.decrementAndGet();
    }
  }

  /**
   * Admits {@code ch} (and releases its place when it closes), or closes it and returns false.
   * Call from the child channel initializer, before building the pipeline.
   */
  public boolean admit(Channel ch) {
    String source = SourceLimits.of(ch.remoteAddress()); // an IPv4 address or an IPv6 /64
    if (!limiter.allows(source) && !limiter.mayExplain(source)) {
      refuse(ch, refusedLimited, true,
          "source {} is over its refusal limit ({} connections refused so far)", source);
      return false;
    }
    switch (perSource.acquire(source)) {
      case TOO_MANY_CONNECTIONS -> {
        refuse(ch, refusedSourceConnections, true, "connection from {} refused: the source holds its maximum of "
            + "connections per source (limit: maxConnectionsPerSource; {} refused so far)", source);
        return false;
      }
      case TOO_MANY_HANDSHAKES -> {
        refuse(ch, refusedSourceHandshakes, true, "connection from {} refused: the source holds its maximum of "
            + "unfinished handshakes per source (limit: maxHandshakesPerSource; {} refused so far)",
            source);
        return false;
      }
      case ADMITTED -> { }
    }
    for (;;) {
      int n = open.get();
      if (n >= maxConnections) {
        perSource.handshakeDone(source);
        perSource.closed(source);
        refuse(ch, refusedFull, false, "{} refused: the server holds its maximum of "
            + maxConnections + " connections (limit: maxConnections; {} refused so far)", source);
        return false;
      }
      if (open.compareAndSet(n, n + 1)) {
        break;
      }
    }
    Admission admission = new Admission(source);
    ch.attr(ADMISSION).set(admission);
    ch.closeFuture().addListener(f -> admission.closed());
    channels.add(ch); // removes itself when closed
    return true;
  }

  /**
   * Gives the connection's handshake back to its source's count when {@code handshake}
   * completes, successfully or not (closing the connection gives it back too). Call once the TLS
   * handler is in place, for a connection {@link #admit} let through.
   */
  public void handshakeStarted(Channel ch, Future<?> handshake) {
    Admission admission = ch.attr(ADMISSION).get();
    if (admission != null) {
      handshake.addListener(f -> admission.handshakeDone());
    }
  }

  /**
   * Tells every established session's client that the server is going away (CLOSE GOING_AWAY),
   * closes every other connection, and waits up to {@code wait} for all of them to close.
   */
  public void goingAway(Duration wait) {
    for (Channel ch : channels) {
      ch.pipeline().fireUserEventTriggered(ConnectionHandler.GOING_AWAY);
    }
    if (!channels.newCloseFuture().awaitUninterruptibly(wait.toMillis(), TimeUnit.MILLISECONDS)) {
      log.debug("{} connections still open after {}; closing them", channels.size(), wait);
      channels.close();
    }
  }

  private static void refuse(Channel ch, LongAdder counter, boolean reset, String message,
      String source) {
    counter.increment();
    long n = counter.sum();
    if (n == 1 || n % LOG_EVERY == 0) {
      log.warn(message, source, n);
    }
    if (reset) {
      // A guesser gets a reset: the server keeps no TIME_WAIT state for it.
      ch.config().setOption(ChannelOption.SO_LINGER, 0);
    }
    ch.close();
  }

  /** Connections open now. */
  public int open() {
    return open.get();
  }

  /** Connections refused because the server held {@code maxConnections}. */
  public long refusedFull() {
    return refusedFull.sum();
  }

  /** Connections refused before the handshake because their source was over its limit. */
  public long refusedLimited() {
    return refusedLimited.sum();
  }

  /** Connections refused because their source held {@code maxConnectionsPerSource}. */
  public long refusedSourceConnections() {
    return refusedSourceConnections.sum();
  }

  /** Connections refused because their source held {@code maxHandshakesPerSource} handshakes. */
  public long refusedSourceHandshakes() {
    return refusedSourceHandshakes.sum();
  }

  /** Connections {@code source} (an address, or an IPv6 /64 as {@code a:b:c:d::/64}) holds now. */
  public int openFrom(String source) {
    return perSource.connections(source);
  }

  /** Unfinished handshakes {@code source} holds now. */
  public int handshakesFrom(String source) {
    return perSource.handshakes(source);
  }

  /** Sources holding at least one connection now. */
  public int sources() {
    return perSource.sources();
  }
}
