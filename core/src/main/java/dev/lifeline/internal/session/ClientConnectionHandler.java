package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.SessionRefusedException;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDecoder;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.internal.tls.TlsChannelInfo;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;

/**
 * One client connection: asks to OPEN or RESUME as soon as TLS is up, checks the server's HELLO
 * (which arrives first), and once the server answers attaches the session; reports the
 * connection's end to the {@link ClientConnector}, which reconnects.
 *
 * <p>OPEN/RESUME leaves without waiting for HELLO: on a long path that wait was a whole round
 * trip before every session's first message and every resume (docs/protocol.md "Keeping a long
 * pipe full"). HELLO is still checked when it comes, before any answer is taken: a server of
 * another protocol version or with a smaller frame limit ends the connection as before.
 */
final class ClientConnectionHandler extends ConnectionHandler {

  private final ClientConnector connector;
  private boolean helloSeen;

  ClientConnectionHandler(ClientConnector connector) {
    this.connector = connector;
  }

  @Override
  protected ConnectionLog connectionLog() {
    return connector.connectionLog();
  }

  @Override
  protected dev.lifeline.HandshakeEvent.Side side() {
    return dev.lifeline.HandshakeEvent.Side.CLIENT;
  }

  @Override
  protected void tlsEstablished(ChannelHandlerContext ctx) {
    moveTo(ConnectionPhase.ADMITTING);
    ctx.writeAndFlush(connector.openOrResume(), ctx.voidPromise());
  }

  @Override
  protected void handshakeFrame(ChannelHandlerContext ctx, Frame frame) throws Exception {
    Channel ch = ctx.channel();
    if (frame instanceof Frame.Hello hello && !helloSeen) {
      helloSeen = true;
      onHello(ctx, hello);
    } else if (frame instanceof Frame.Opened opened && helloSeen && !connector.hasSessionId()) {
      raiseFrameLimit(ctx);
      sessionAttached(connector.opened(ch, opened, TlsChannelInfo.wasResumed(ch)));
    } else if (frame instanceof Frame.Resumed resumed && helloSeen && connector.hasSessionId()) {
      raiseFrameLimit(ctx);
      sessionAttached(connector.resumed(ch, resumed, TlsChannelInfo.wasResumed(ch)));
    } else if (frame instanceof Frame.Close close) {
      closeCause = close.code().isResumable()
          ? new ProtocolException(close.code(), close.reason())
          : new SessionRefusedException(close.code(), close.reason());
      ctx.close();
    } else {
      frame.release();
      closeWith(ctx, ErrorCode.PROTOCOL_ERROR, "unexpected "
          + FrameDescriptor.typeName(frame.type()));
    }
  }

  private void onHello(ChannelHandlerContext ctx, Frame.Hello hello) {
    if (hello.protocolVersion() != FrameDescriptor.VERSION) {
      closeWith(ctx, ErrorCode.UNSUPPORTED_VERSION, "server speaks version "
          + hello.protocolVersion() + " (expected: " + FrameDescriptor.VERSION + ")");
      return;
    }
    String problem = connector.checkServerLimits(hello.maxFrameSize());
    if (problem != null) {
      closeCause = new SessionRefusedException(ErrorCode.FRAME_TOO_LARGE, problem);
      ctx.close();
    }
  }

  private void raiseFrameLimit(ChannelHandlerContext ctx) {
    ctx.pipeline().get(FrameDecoder.class).maxFrameSize(connector.maxFrameSize());
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    super.channelInactive(ctx);
    connector.connectionEnded(ctx.channel(), session != null, closeCause);
  }
}
