package dev.lifeline.internal.session;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's first decision about a new connection, taken when it is accepted and before any
 * TLS state exists: refuse it if the server already holds {@code maxConnections}, or if its source
 * is over its refusal limit and was already told so in the last second. A refused connection is
 * closed at once (no SSLEngine, no handler, no buffer), so refusing costs an accept and a close:
 * a plain close when the server is full, a reset for a source over its limit (no TIME_WAIT state
 * kept for a guesser).
 *
 * <p>Refusals are counted, not logged one by one (a flood would flood the log); the first of each
 * kind and then one in every {@value #LOG_EVERY} is logged.
 */
public final class ConnectionGate {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);
  private static final int LOG_EVERY = 10_000;

  private final int maxConnections;
  private final RefusalLimiter limiter;
  private final AtomicInteger open = new AtomicInteger();
  private final ChannelGroup channels = new DefaultChannelGroup("lifeline-connections",
      GlobalEventExecutor.INSTANCE);
  private final LongAdder refusedFull = new LongAdder();
  private final LongAdder refusedLimited = new LongAdder();

  public ConnectionGate(int maxConnections, RefusalLimiter limiter) {
    this.maxConnections = maxConnections;
    this.limiter = limiter;
  }

  /**
   * Admits {@code ch} (and releases its place when it closes), or closes it and returns false.
   * Call from the child channel initializer, before building the pipeline.
   */
  public boolean admit(Channel ch) {
    String source = host(ch);
    if (!limiter.allows(source) && !limiter.mayExplain(source)) {
      refuse(ch, refusedLimited, true,
          "source {} is over its refusal limit ({} connections refused so far)", source);
      return false;
    }
    for (;;) {
      int n = open.get();
      if (n >= maxConnections) {
        refuse(ch, refusedFull, false, "{} refused: the server holds its maximum of "
            + maxConnections + " connections (limit: maxConnections; {} refused so far)", source);
        return false;
      }
      if (open.compareAndSet(n, n + 1)) {
        break;
      }
    }
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    channels.add(ch); // removes itself when closed
    return true;
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

  static String host(Channel ch) {
    if (ch.remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress();
    }
    return String.valueOf(ch.remoteAddress());
  }
}
