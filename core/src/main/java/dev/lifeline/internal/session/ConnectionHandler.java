package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.internal.protocol.ConnectionClosedException;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.ProtocolException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the client's and the server's per-connection handlers share: heartbeats on idle, the
 * frames of an established session, and turning any failure into one CLOSE frame and one count
 * in the endpoint's {@link ConnectionLog} (a DEBUG line each, an INFO summary per minute), its
 * reason in words from {@link FailureReason}. Sits
 * at the tail of the pipeline, after the frame codec.
 *
 * <p>Heartbeats ({@link Heartbeat} times them): when this side has read nothing for a third of
 * its idle timeout it sends PING, and the peer answers PONG at once, so each side's read-idle
 * timer measures the round trip it configured, whatever the peer's settings. A connection that
 * read nothing for the idle timeout is closed as half-open, unless reading was paused on purpose
 * because the application is behind.
 */
abstract class ConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
  /** How long a CLOSE frame may take to leave before the connection is closed regardless. */
  static final long CLOSE_WRITE_GRACE_MILLIS = 2_000;

  /**
   * Fired down a server connection's pipeline when the server shuts down: an established session
   * is told {@link ErrorCode#GOING_AWAY} (its client resumes elsewhere or later at once, instead
   * of taking the close for a network failure), any other connection is just closed.
   */
  static final Object GOING_AWAY = new Object() {
    @Override
    public String toString() {
      return "GOING_AWAY";
    }
  };

  /** The session once OPENED/RESUMED; null before. Event loop only. */
  protected SessionCore session;
  // Event loop only; moves forward only (ConnectionPhase.canMoveTo).
  private ConnectionPhase phase = ConnectionPhase.HANDSHAKE;
  // This connection as the session sees it; made on first use. Event loop only.
  private ChannelPort port;
  protected Throwable closeCause;
  private long pingCounter;

  @Override
  public final void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    // Once CLOSING, frames the peer pipelined behind the offending one (already in the decoder's
    // buffer, or read before the close completes) must not act any more, e.g. a RESUME after a
    // refused one would still rotate that session's token.
    if (!(msg instanceof Frame frame) || phase == ConnectionPhase.CLOSING) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (session != null && established(ctx.channel(), frame)) {
      return;
    }
    handshakeFrame(ctx, frame);
  }

  /** Where this connection is in its life. */
  protected final ConnectionPhase phase() {
    return phase;
  }

  /** Moves this connection on to {@code next}, unless it is already ending. */
  protected final void moveTo(ConnectionPhase next) {
    if (phase.canMoveTo(next)) {
      phase = next;
    }
  }

  /** The session is attached to this connection: its frames go to it from now on. */
  protected final void sessionAttached(SessionCore attached) {
    session = attached;
    moveTo(ConnectionPhase.ESTABLISHED);
  }

  /** Handles a frame of an established session; false if it is not one. */
  private boolean established(Channel ch, Frame frame) throws ProtocolException {
    if (frame instanceof Frame.Data data) {
      session.onData(port(ch), data);
    } else if (frame instanceof Frame.Ack ack) {
      session.onAck(port(ch), ack.seq());
    } else if (frame instanceof Frame.Ping ping) {
      ch.writeAndFlush(new Frame.Pong(ping.opaque()), ch.voidPromise());
      Heartbeat heartbeat = ch.pipeline().get(Heartbeat.class);
      if (heartbeat != null) {
        heartbeat.peerPinged();
      }
    } else if (frame instanceof Frame.Pong) {
      // Its arrival already reset the read-idle timer.
    } else if (frame instanceof Frame.Close close) {
      markPeerClosed(ch, close);
      session.onPeerClose(close.code(), close.reason());
      ch.close();
    } else {
      return otherEstablished(ch, frame);
    }
    return true;
  }

  private ChannelPort port(Channel ch) {
    if (port == null) {
      port = ChannelPort.of(ch);
    }
    return port;
  }

  /**
   * The peer sent CLOSE before its session was established: it gave up waiting (its own timeout)
   * or is shutting down. Not a protocol error: close without answering, as after a cut.
   */
  protected void peerClosedEarly(ChannelHandlerContext ctx, Frame.Close close) {
    markPeerClosed(ctx.channel(), close);
    ctx.close();
  }

  /** Records the peer's CLOSE as this connection's end (its cause, one log entry). */
  private void markPeerClosed(Channel ch, Frame.Close close) {
    closeCause = new ProtocolException(close.code(), "peer closed: " + close.reason());
    logPeerClose(ch, close);
    moveTo(ConnectionPhase.CLOSING);
  }

  /** Subclass hook for frames only one side accepts once established (CONFIRM). */
  protected boolean otherEstablished(Channel ch, Frame frame) {
    return false;
  }

  /** Frames before the session is attached: HELLO, OPEN, RESUME, OPENED, RESUMED, CLOSE. */
  protected abstract void handshakeFrame(ChannelHandlerContext ctx, Frame frame) throws Exception;

  /**
   * Where this endpoint counts failed handshakes and closed connections: logged at DEBUG one by
   * one, at INFO as a periodic summary.
   */
  protected abstract ConnectionLog connectionLog();

  /** Which end this is: decides whose certificate a {@link FailureReason} names. */
  protected abstract HandshakeEvent.Side side();

  /** The TLS handshake finished successfully. */
  protected void tlsEstablished(ChannelHandlerContext ctx) {}

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SslHandshakeCompletionEvent done) {
      if (done.isSuccess()) {
        moveTo(ConnectionPhase.GREETING);
        tlsEstablished(ctx);
      } else {
        closeCause = done.cause();
        String why = FailureReason.of(done.cause(), side());
        connectionLog().count("TLS handshake failed", why);
        if (ConnectionLog.detailed()) {
          log.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), why);
        }
        ctx.close();
      }
    } else if (evt == Heartbeat.PING_DUE) {
      ping(ctx);
      return;
    } else if (evt instanceof IdleStateEvent idle) {
      onIdle(ctx, idle);
    } else if (evt == GOING_AWAY) {
      if (session != null) {
        closeWith(ctx, ErrorCode.GOING_AWAY, "server is shutting down; resume elsewhere or later");
      } else {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void onIdle(ChannelHandlerContext ctx, IdleStateEvent idle) {
    switch (idle.state()) {
      case WRITER_IDLE -> ping(ctx);
      case READER_IDLE -> {
        if (session != null && session.isReadPaused()) {
          return;
        }
        closeWith(ctx, ErrorCode.TIMEOUT, "nothing received for the idle timeout");
      }
      default -> { }
    }
  }

  private void ping(ChannelHandlerContext ctx) {
    if (session != null) {
      ctx.writeAndFlush(new Frame.Ping(++pingCounter), ctx.voidPromise());
    }
  }

  /**
   * Whether this connection's TLS handshake succeeded. Asked of TLS itself, not of the phase: a
   * connection can start closing (an idle timeout) while its handshake is still running.
   */
  private boolean tlsSucceeded(ChannelHandlerContext ctx) {
    SslHandler tls = ctx.pipeline().get(SslHandler.class);
    return tls == null ? phase != ConnectionPhase.HANDSHAKE : tls.handshakeFuture().isSuccess();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable root = cause instanceof DecoderException && cause.getCause() != null
        ? cause.getCause() : cause;
    if (root instanceof ProtocolException p) {
      closeWith(ctx, p.code(), p.getMessage());
    } else if (root instanceof SSLException || root instanceof IOException) {
      closeCause = root;
      String why = FailureReason.of(root, side());
      if (tlsSucceeded(ctx) || !(root instanceof SSLException)) {
        // (A TLS failure in the handshake is counted once, with the handshake's failure event.)
        connectionLog().count("connection failed", why);
      }
      if (ConnectionLog.detailed()) {
        log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), why);
      }
      if (root instanceof SSLException) {
        ctx.close();
      } else {
        closeBrokenSocket(ctx);
      }
    } else {
      log.warn("connection {}: internal error", ctx.channel().remoteAddress(), root);
      closeWith(ctx, ErrorCode.INTERNAL_ERROR, "internal error");
    }
  }

  /**
   * After a socket error (a reset: every connection of a failed link at once). Closing through
   * the pipeline would make TLS wrap a close_notify, try to send it into the dead socket, fail,
   * build the error and only then close: most of what a reset connection cost (16% of the
   * server's I/O threads in a resume storm). Netty's transport closes the channel by itself,
   * without writing, right after it reported a failed read (and after a failed write); so this
   * only makes sure the channel is closed once that has run, for an I/O error raised anywhere
   * else.
   */
  private static void closeBrokenSocket(ChannelHandlerContext ctx) {
    ctx.executor().execute(() -> {
      if (ctx.channel().isOpen()) {
        ctx.close();
      }
    });
  }

  /** Sends CLOSE with {@code code} and closes the connection; logs one line. */
  protected void closeWith(ChannelHandlerContext ctx, ErrorCode code, String reason) {
    moveTo(ConnectionPhase.CLOSING);
    if (closeCause == null) {
      closeCause = new ProtocolException(code, reason);
    }
    if (code != ErrorCode.GOING_AWAY) {
      connectionLog().count("closed " + code, ConnectionLog.pattern(reason));
    }
    if (ConnectionLog.detailed()) {
      log.debug("closing connection {}{}: {} {}", ctx.channel().remoteAddress(),
          session != null ? " (session " + session.id() + ")" : "", code, reason);
    }
    if (ctx.channel().isActive()) {
      io.netty.channel.ChannelFuture written = ctx.writeAndFlush(new Frame.Close(code, reason));
      written.addListener(ChannelFutureListener.CLOSE);
      // A peer that reads nothing (a black hole: the usual reason for an idle timeout) never lets
      // that write complete; the connection must not wait for TCP to give up on it.
      ctx.executor().schedule(() -> {
        if (!written.isDone()) {
          ctx.close();
        }
      }, CLOSE_WRITE_GRACE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (session != null && ctx.channel().isWritable()) {
      session.drain(port(ctx.channel()));
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    moveTo(ConnectionPhase.CLOSED);
    if (session != null) {
      session.detach(port(ctx.channel()),
          closeCause != null ? closeCause : new ConnectionClosedException());
    }
    ctx.fireChannelInactive();
  }

  private void logPeerClose(Channel ch, Frame.Close close) {
    if (close.code() != ErrorCode.NORMAL) {
      // The peer's reason, reduced to a pattern: its numbers and session ids would make every
      // close a group of its own, and its control characters could forge log lines.
      connectionLog().count("peer closed " + close.code(), ConnectionLog.pattern(close.reason()));
    }
    if (ConnectionLog.detailed()) {
      log.debug("peer {} closed the connection: {} {}", ch.remoteAddress(), close.code(),
          close.reason());
    }
  }

  static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m != null ? ": " + m : "");
  }
}
