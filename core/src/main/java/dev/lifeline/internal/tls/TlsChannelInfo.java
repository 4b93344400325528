package dev.lifeline.internal.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import javax.net.ssl.SSLPeerUnverifiedException;

/** What the TLS layer learned about one connection, for the session layer above it. */
public final class TlsChannelInfo {
  private TlsChannelInfo() {}

  /** Set by the handshake classifier once the handshake succeeded: whether it was resumed. */
  static final AttributeKey<Boolean> RESUMED = AttributeKey.valueOf("lifeline.tls.resumed");

  /** Whether this connection's handshake resumed an earlier TLS session. */
  public static boolean wasResumed(Channel channel) {
    return Boolean.TRUE.equals(channel.attr(RESUMED).get());
  }

  /** The verified client certificate's subject, or {@code null} without mutual TLS. */
  public static String peerCertificateSubject(Channel channel) {
    SslHandler ssl = channel.pipeline().get(SslHandler.class);
    if (ssl == null) {
      return null;
    }
    javax.net.ssl.SSLEngine engine = ssl.engine();
    if (!engine.getUseClientMode() && !engine.getNeedClientAuth() && !engine.getWantClientAuth()) {
      // A server that asks for no client certificate has none to report. Asking the session
      // anyway throws (and fills in the stack trace of) an SSLPeerUnverifiedException on every
      // connection.
      return null;
    }
    try {
      return engine.getSession().getPeerPrincipal().getName();
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
