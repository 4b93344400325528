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
 * One client connection: waits for the server's HELLO, asks to OPEN or RESUME, and once the
 * server answers attaches the session; reports the connection's end to the {@link
 * ClientConnector}, which reconnects.
 */
final class ClientConnectionHandler extends ConnectionHandler {

  private final ClientConnector connector;

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
  protected void handshakeFrame(ChannelHandlerContext ctx, Frame frame) throws Exception {
    Channel ch = ctx.channel();
    boolean helloSeen = !phase().awaitsGreeting();
    if (frame instanceof Frame.Hello hello && !helloSeen) {
      moveTo(ConnectionPhase.ADMITTING);
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
      return;
    }
    ctx.writeAndFlush(connector.openOrResume(), ctx.voidPromise());
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
