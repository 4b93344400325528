package dev.lifeline.internal.tls;

import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.internal.session.FailureReason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.internal.tcnative.SSL;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports each connection's TLS handshake to a {@link HandshakeListener} as full, resumed or
 * failed, then passes the {@link SslHandshakeCompletionEvent} on unchanged.
 *
 * <p>How "resumed" is known depends on the engine. OpenSSL (BoringSSL) says so itself
 * ({@code SSL_session_reused}). The JDK engine has no such API, so the {@link ServerHelloObserver}
 * in front of the {@code SslHandler} reads it off the wire and leaves the answer on the channel.
 *
 * <p>The duration runs from the connection becoming active to the completion event. Time comes from
 * an injectable nano clock.
 */
final class HandshakeClassifier extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HandshakeClassifier.class);

  private final HandshakeEvent.Side side;
  private final String providerName;
  private final HandshakeListener listener;
  private final LongSupplier nanoTime;
  private long startNanos = -1;
  private boolean reported;

  HandshakeClassifier(HandshakeEvent.Side side, String providerName, HandshakeListener listener,
      LongSupplier nanoTime) {
    this.side = side;
    this.providerName = providerName;
    this.listener = listener;
    this.nanoTime = nanoTime;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      startNanos = nanoTime.getAsLong();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (startNanos < 0) {
      startNanos = nanoTime.getAsLong();
    }
    ctx.fireChannelActive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent && !reported) {
      reported = true;
      report(ctx, (SslHandshakeCompletionEvent) evt);
    }
    ctx.fireUserEventTriggered(evt);
  }

  /**
   * A connection closed before the handshake started (e.g. refused by the limiter) gets no
   * completion event from the {@code SslHandler}; it is still reported, as failed.
   */
  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!reported) {
      reported = true;
      report(ctx, new SslHandshakeCompletionEvent(
          new dev.lifeline.internal.protocol.ConnectionClosedException()));
    }
    ctx.fireChannelInactive();
  }

  private void report(ChannelHandlerContext ctx, SslHandshakeCompletionEvent completion) {
    long duration = startNanos < 0 ? 0 : Math.max(0, nanoTime.getAsLong() - startNanos);
    String peer = peer(ctx.channel().remoteAddress());
    HandshakeEvent event;
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    if (completion.isSuccess() && ssl != null) {
      SSLEngine engine = ssl.engine();
      SSLSession session = engine.getSession();
      boolean resumed = resumed(ctx, engine);
      ctx.channel().attr(TlsChannelInfo.RESUMED).set(resumed);
      event = HandshakeEvent.success(side, resumed, session.getProtocol(),
          session.getCipherSuite(), KeyExchangeGroups.negotiated(session, wireGroup(ctx))
              .orElse(null),
          providerName, peer, duration);
    } else {
      event = HandshakeEvent.failure(side, providerName, peer, duration, failureReason(ctx,
          completion));
    }
    try {
      listener.handshakeCompleted(event);
    } catch (RuntimeException e) {
      log.warn("handshake listener {} failed on {}", listener, event, e);
    }
  }

  /** The TLS 1.3 key_share group the wire observer read (JDK provider); -1 when none. */
  private static int wireGroup(ChannelHandlerContext ctx) {
    Integer group = ctx.channel().attr(ServerHelloObserver.TLS13_GROUP).get();
    return group == null ? -1 : group;
  }

  static boolean resumed(ChannelHandlerContext ctx, SSLEngine engine) {
    if (engine instanceof ReferenceCountedOpenSslEngine) {
      long ssl = ((ReferenceCountedOpenSslEngine) engine).sslPointer();
      if (ssl != 0) {
        return SSL.isSessionReused(ssl);
      }
    }
    Boolean observed = ctx.channel().attr(ServerHelloObserver.RESUMED).get();
    if (observed == null) {
      log.warn("could not tell whether the handshake with {} resumed; counting it as full",
          ctx.channel().remoteAddress());
      return false;
    }
    return observed;
  }

  private String failureReason(ChannelHandlerContext ctx,
      SslHandshakeCompletionEvent completion) {
    String rejected = ctx.channel().attr(HandshakeLimiter.REJECTED).get();
    if (rejected != null) {
      return rejected;
    }
    Throwable cause = completion.cause();
    if (cause instanceof java.nio.channels.ClosedChannelException) {
      return "connection closed during the handshake";
    }
    return FailureReason.of(cause, side);
  }

  static String peer(SocketAddress address) {
    if (address instanceof InetSocketAddress) {
      InetSocketAddress inet = (InetSocketAddress) address;
      String host = inet.getAddress() != null ? inet.getAddress().getHostAddress()
          : inet.getHostString();
      return (host.indexOf(':') >= 0 ? '[' + host + ']' : host) + ':' + inet.getPort();
    }
    return String.valueOf(address);
  }
}
