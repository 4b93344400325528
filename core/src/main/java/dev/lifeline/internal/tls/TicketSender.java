package dev.lifeline.internal.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.internal.tcnative.Buffer;
import io.netty.internal.tcnative.SSL;
import java.nio.ByteBuffer;

/**
 * Puts a server's TLS 1.3 session tickets on the wire right after the handshake, whether or not
 * the server ever writes.
 *
 * <p>In TLS 1.3 the server sends NewSessionTicket after the handshake. BoringSSL queues it until
 * the server's next {@code SSL_write} (so that a client which never reads cannot stall a server
 * with a small write buffer), and Netty's OpenSSL engine calls {@code SSL_write} only for
 * application bytes. A server that waits for its client (HTTP, for one) and a client that waits
 * for the server (a connection pool warming up, a health check) would then never exchange a
 * ticket, and every reconnect of that client would be a full handshake. BoringSSL's documented
 * way out is a zero-byte {@code SSL_write}, which moves the queued tickets into the engine's
 * output; the flush that follows makes the {@link SslHandler} send them.
 *
 * <p>The JDK engine needs none of this: it hands its ticket to the {@link SslHandler} as part of
 * the handshake's last wrap. TLS 1.2 tickets travel inside the handshake. Sits behind the
 * {@link SslHandler} and removes itself after the handshake.
 */
final class TicketSender extends ChannelInboundHandlerAdapter {
  /**
   * The source of the zero-byte writes: netty-tcnative refuses a null address, BoringSSL reads
   * nothing from it, so one shared buffer serves every connection.
   */
  private static final ByteBuffer NOTHING = ByteBuffer.allocateDirect(1);

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SslHandshakeCompletionEvent) {
      if (((SslHandshakeCompletionEvent) evt).isSuccess()) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl != null && releaseQueuedTickets(ssl)) {
          ctx.flush();
        }
      }
      ctx.pipeline().remove(this);
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** A zero-byte write on a TLS 1.3 OpenSSL engine; true when it was made. */
  private static boolean releaseQueuedTickets(SslHandler handler) {
    if (!(handler.engine() instanceof ReferenceCountedOpenSslEngine)) {
      return false;
    }
    ReferenceCountedOpenSslEngine engine = (ReferenceCountedOpenSslEngine) handler.engine();
    if (!"TLSv1.3".equals(engine.getSession().getProtocol())) {
      return false;
    }
    // The engine's own methods hold its lock while they use the native SSL; so does this.
    synchronized (engine) {
      long ssl = engine.sslPointer();
      if (ssl == 0) {
        return false; // already freed: the connection is gone
      }
      if (SSL.writeToSSL(ssl, Buffer.address(NOTHING), 0) < 0) {
        SSL.clearError(); // the engine is failing; its own next call finds and reports why
        return false;
      }
    }
    return true;
  }
}
