package dev.lifeline.internal.session;

import dev.lifeline.internal.http.HttpEndpoint;
import dev.lifeline.internal.http.ProtocolSelector;
import dev.lifeline.internal.tls.ServerTls;
import dev.lifeline.internal.tls.TlsConstants;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;

/**
 * Every server connection's pipeline, in one place. Front (socket) to back (application):
 *
 * <pre>
 *   [lifeline-tls-wire]        ServerHello observer (JDK provider only)
 *   [lifeline-tls]             TLS
 *   [lifeline-tls-limiter]     handshake slots
 *   [lifeline-tls-tickets]     TLS 1.3 tickets out right after the handshake (OpenSSL only)
 *   [lifeline-tls-classifier]  handshake events: full, resumed or failed
 *   [lifeline-protocol]        Lifeline or HTTP by ALPN (only with an HTTP service)
 *   [idle] [decoder] [encoder] [session]   the Lifeline stages ({@link SessionPipeline})
 * </pre>
 *
 * A connection the {@link ConnectionGate} refuses at accept gets no stages at all (it is closed).
 */
public final class ServerPipeline extends ChannelInitializer<Channel> {
  /** The stage that switches an HTTP connection away from the Lifeline stages. */
  static final String PROTOCOL = "lifeline-protocol";

  private final ConnectionGate gate;
  private final ServerTls tls;
  private final HttpEndpoint http; // null without an HTTP service
  private final ServerSessions sessions;
  private final Duration idleTimeout;
  private final int maxFrameSize;
  private final String serverName;

  /**
   * @param http the HTTP service served beside Lifeline, or null for Lifeline only
   * @param maxFrameSize the frame limit once a session is established
   * @param serverName what the HELLO greeting names this server
   */
  public ServerPipeline(ConnectionGate gate, ServerTls tls, HttpEndpoint http,
      ServerSessions sessions, Duration idleTimeout, int maxFrameSize, String serverName) {
    this.gate = gate;
    this.tls = tls;
    this.http = http;
    this.sessions = sessions;
    this.idleTimeout = idleTimeout;
    this.maxFrameSize = maxFrameSize;
    this.serverName = serverName;
  }

  @Override
  protected void initChannel(Channel ch) {
    // Before any stage: a connection over a limit is closed here, before its TLS handshake.
    if (!gate.admit(ch)) {
      return;
    }
    ChannelPipeline pipeline = ch.pipeline();
    SessionPipeline.addLifelineStages(pipeline, idleTimeout,
        new ServerConnectionHandler(sessions, maxFrameSize, serverName));
    // The TLS stages go in front of everything added so far.
    tls.install(pipeline);
    // This source's unfinished handshakes count this one until it ends, whichever way.
    gate.handshakeStarted(ch, pipeline.get(SslHandler.class).handshakeFuture());
    if (http != null) {
      // Right behind TLS: an HTTP connection drops the Lifeline stages before the session
      // handler could greet it.
      pipeline.addAfter(TlsConstants.CLASSIFIER_HANDLER, PROTOCOL,
          new ProtocolSelector(http, SessionPipeline.LIFELINE_STAGES));
    }
  }
}
