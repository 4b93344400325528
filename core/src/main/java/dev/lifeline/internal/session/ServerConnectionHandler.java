package dev.lifeline.internal.session;

import dev.lifeline.Authenticator;
import dev.lifeline.ErrorCode;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDecoder;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.tls.TlsChannelInfo;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server connection: greets the client right after the TLS handshake (so TLS 1.3 session
 * tickets reach even a client that never writes first), then admits exactly one OPEN or RESUME
 * and hands the connection to the session.
 */
public final class ServerConnectionHandler extends ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(ServerConnectionHandler.class);

  private final ServerSessions sessions;
  private final int maxFrameSize;
  private final String serverName;
  // For events: the RESUME being admitted (null for OPEN), when it arrived, and the replay
  // counter when the session was attached to this connection.
  private String resumingId;
  // The admitted session with the server's record of it, for CONFIRM.
  private ServerSessions.Live admittedSession;
  private long admissionStartNanos;
  private long resentAtAttach;

  public ServerConnectionHandler(ServerSessions sessions, int maxFrameSize, String serverName) {
    this.sessions = sessions;
    this.maxFrameSize = maxFrameSize;
    this.serverName = serverName;
  }

  @Override
  protected ConnectionLog connectionLog() {
    return sessions.connectionLog();
  }

  @Override
  protected dev.lifeline.HandshakeEvent.Side side() {
    return dev.lifeline.HandshakeEvent.Side.SERVER;
  }

  @Override
  protected void tlsEstablished(ChannelHandlerContext ctx) {
    ctx.writeAndFlush(new Frame.Hello(FrameDescriptor.VERSION, maxFrameSize, serverName),
        ctx.voidPromise());
  }

  @Override
  protected void handshakeFrame(ChannelHandlerContext ctx, Frame frame) {
    if (frame instanceof Frame.Close close) {
      // A client whose own timeout ran out while it waited for HELLO or for the answer to its
      // RESUME (a loaded server): the soak saw thousands, each logged as a protocol error.
      peerClosedEarly(ctx, close);
      return;
    }
    if (!phase().awaitsGreeting()) {
      frame.release();
      closeWith(ctx, ErrorCode.PROTOCOL_ERROR, FrameDescriptor.typeName(frame.type())
          + " before the session was established");
      return;
    }
    Channel ch = ctx.channel();
    Authenticator.Peer peer = new Authenticator.Peer(
        address(ch), TlsChannelInfo.peerCertificateSubject(ch));
    if (!sessions.admits(ServerSessions.host(peer))) {
      frame.release();
      if (frame instanceof Frame.Resume resume) {
        sessions.events().resumeRefused(resume.sessionId(), ErrorCode.RATE_LIMITED, 0);
      }
      closeWith(ctx, ErrorCode.RATE_LIMITED, "too many refused attempts; retry later");
      return;
    }
    CompletableFuture<ServerSessions.Admission> admission;
    if (frame instanceof Frame.Open open) {
      admission = sessions.open(peer, open);
    } else if (frame instanceof Frame.Resume resume) {
      resumingId = resume.sessionId();
      admissionStartNanos = System.nanoTime();
      admission = sessions.resume(peer, resume);
    } else {
      frame.release();
      closeWith(ctx, ErrorCode.PROTOCOL_ERROR,
          "expected OPEN or RESUME, got " + FrameDescriptor.typeName(frame.type()));
      return;
    }
    moveTo(ConnectionPhase.ADMITTING);
    ctx.channel().config().setAutoRead(false);
    admission.whenComplete((a, err) -> ctx.executor().execute(() -> admitted(ctx, a, err)));
  }

  private void admitted(ChannelHandlerContext ctx, ServerSessions.Admission a, Throwable err) {
    if (err != null) {
      log.warn("could not admit session for {}: {}", ctx.channel().remoteAddress(),
          describe(err));
      resumeRefused(ErrorCode.STORE_UNAVAILABLE);
      closeWith(ctx, ErrorCode.STORE_UNAVAILABLE, "session store unavailable");
      return;
    }
    if (a.refusal() != null) {
      resumeRefused(a.refusal());
      closeWith(ctx, a.refusal(), a.reason());
      return;
    }
    if (!ctx.channel().isActive()) {
      return;
    }
    try {
      admittedSession = a.live();
      sessionAttached(a.session());
      ctx.pipeline().get(FrameDecoder.class).maxFrameSize(maxFrameSize);
      resentAtAttach = session.stats().resentBytes();
      ServerSessions.attach(ctx.channel(), a, TlsChannelInfo.wasResumed(ctx.channel()));
      if (resumingId != null) {
        sessions.events().resumeSucceeded(resumingId, System.nanoTime() - admissionStartNanos);
      }
      ctx.channel().config().setAutoRead(true);
    } catch (Exception e) {
      resumeRefused(ErrorCode.PROTOCOL_ERROR);
      exceptionCaught(ctx, e);
    }
  }

  private void resumeRefused(ErrorCode code) {
    if (resumingId != null) {
      sessions.events().resumeRefused(resumingId, code, System.nanoTime() - admissionStartNanos);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    SessionCore s = session;
    super.channelInactive(ctx);
    if (s != null) {
      long replayed = s.stats().resentBytes() - resentAtAttach;
      if (replayed > 0) {
        sessions.events().replayed(s.id(), replayed);
      }
      if (!s.isClosed()) {
        sessions.events().sessionDisconnected(s.id(),
            FailureReason.of(closeCause, dev.lifeline.HandshakeEvent.Side.SERVER));
      }
    }
  }

  @Override
  protected boolean otherEstablished(Channel ch, Frame frame) {
    if (frame instanceof Frame.Confirm) {
      sessions.confirm(admittedSession);
      return true;
    }
    return false;
  }

  static String address(Channel ch) {
    if (ch.remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }
    return String.valueOf(ch.remoteAddress());
  }
}
