package dev.lifeline.internal.http;

import dev.lifeline.internal.tls.TlsConstants;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.List;

/**
 * Chooses the protocol of one server connection from the ALPN outcome, right after the TLS
 * handshake: {@code lifeline/1} keeps the Lifeline stages behind it (which then greet the
 * client); {@code http/1.1} or no ALPN at all replaces them with the HTTP endpoint's stages, so
 * an HTTP client never receives the Lifeline greeting. Sits right behind the TLS stages and
 * removes itself once it has chosen.
 */
public final class ProtocolSelector extends ChannelInboundHandlerAdapter {
  /** The Lifeline stages an HTTP connection does not use, front to back. */
  private final List<String> lifelineStages;
  private final HttpEndpoint http;

  /** @param lifelineStages the names of the stages to remove for HTTP, front to back */
  public ProtocolSelector(HttpEndpoint http, List<String> lifelineStages) {
    this.http = http;
    this.lifelineStages = List.copyOf(lifelineStages);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (!(evt instanceof SslHandshakeCompletionEvent done) || !done.isSuccess()) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    ChannelPipeline pipeline = ctx.pipeline();
    if (TlsConstants.ALPN_PROTOCOL.equals(applicationProtocol(pipeline))) {
      pipeline.remove(this);
      ctx.fireUserEventTriggered(evt);
      return;
    }
    for (String name : lifelineStages) {
      if (pipeline.get(name) != null) {
        pipeline.remove(name);
      }
    }
    pipeline.remove(this);
    http.initHttpPipeline(pipeline);
  }

  /** The protocol ALPN chose, or null when none was chosen. */
  public static String applicationProtocol(ChannelPipeline pipeline) {
    SslHandler ssl = pipeline.get(SslHandler.class);
    return ssl == null ? null : ssl.applicationProtocol();
  }
}
