package dev.lifeline.internal.tls;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import java.io.IOException;
import java.util.Objects;
import javax.net.ssl.SSLEngine;

/**
 * The client side of Lifeline's TLS: one long-lived {@link SslContext} whose session cache
 * remembers the last session per server {@code host:port}, so every reconnect through
 * {@link #install} offers it (a TLS 1.3 ticket, a TLS 1.2 ticket or session id). With the OpenSSL
 * provider a {@link TicketKeeper} keeps a TLS 1.3 ticket whose handshake failed, so that a
 * connection which never reached the server does not cost the next one its resumption. The server
 * certificate is verified against the configured CA and the host name (or IP address) given to
 * {@link #install}.
 */
public final class ClientTls implements AutoCloseable {
  private final ClientTlsConfig config;
  private final SslContext context;
  private final SslProvider provider;
  private final String providerName;
  private final HandshakeListener listener;
  private final TicketKeeper tickets = new TicketKeeper(); // used with OpenSSL only

  /** For tests: the servers this client keeps a ticket for. */
  int keptTickets() {
    return tickets.keptCount();
  }

  private ClientTls(ClientTlsConfig config, SslContext context, SslProvider provider,
      HandshakeListener listener) {
    this.config = config;
    this.context = context;
    this.provider = provider;
    this.providerName = TlsProviders.name(provider);
    this.listener = listener;
  }

  /**
   * Loads the trusted CA (and the client certificate, checking its key) and builds the context.
   *
   * @throws dev.lifeline.TlsConfigurationException with a message naming the culprit file
   */
  public static ClientTls create(ClientTlsConfig config, HandshakeListener listener)
      throws IOException {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(listener, "listener");
    SslProvider provider = TlsProviders.select(config.provider());
    SslContextBuilder builder = TlsContexts.common(SslContextBuilder.forClient(), provider,
        config.protocols(), config.sessionCacheSize(), config.sessionTimeout())
        .trustManager(PemFiles.readCertificates(config.trustedCaFile()))
        .endpointIdentificationAlgorithm("HTTPS");
    KeyExchangeGroups.apply(builder, provider, config.keyExchangeGroups());
    if (config.certificateChainFile().isPresent()) {
      TlsContexts.KeyMaterial keys = TlsContexts.loadKeyMaterial(
          config.certificateChainFile().get(), config.privateKeyFile().get());
      builder.keyManager(keys.key, keys.chain);
    }
    return new ClientTls(config, TlsContexts.build(builder, "client"), provider, listener);
  }

  /**
   * Adds the SslHandler (created for {@code host:port}, so the cached session for that server is
   * offered) and the handshake classifier to the front of the pipeline:
   * [wire observer (JDK only)] [ticket tap (OpenSSL only, until the ClientHello left)] [TLS]
   * [ticket watcher (OpenSSL only, until the handshake ends)]
   * [classifier] [what was there before].
   */
  public void install(ChannelPipeline pipeline, String host, int port) {
    SslHandler handler = context.newHandler(pipeline.channel().alloc(), host, port);
    handler.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
    enableTls12Tickets(handler.engine());
    KeyExchangeGroups.applyToEngine(handler.engine(), provider, config.keyExchangeGroups());
    pipeline.addFirst(TlsConstants.CLASSIFIER_HANDLER, new HandshakeClassifier(
        HandshakeEvent.Side.CLIENT, providerName, listener, System::nanoTime));
    ChannelHandler[] watcher = null;
    if (provider != SslProvider.JDK) {
      tickets.offer(handler.engine(), host, port);
      watcher = tickets.newWatcher(handler.engine(), host, port);
      pipeline.addFirst(TlsConstants.TICKET_HANDLER, watcher[1]);
    }
    pipeline.addFirst(TlsConstants.SSL_HANDLER, handler);
    if (watcher != null) {
      pipeline.addFirst(TlsConstants.TICKET_TAP_HANDLER, watcher[0]);
    }
    if (provider == SslProvider.JDK) {
      pipeline.addFirst(TlsConstants.WIRE_OBSERVER_HANDLER, new ServerHelloObserver(false));
    }
  }

  /**
   * Netty's OpenSSL client asks for TLS 1.3 tickets but, unless a JVM-wide system property is set,
   * not for TLS 1.2 ones; a TLS 1.2 client would then resume only from the server's in-memory
   * session cache, which a server restart empties. Asking per engine avoids the global switch.
   */
  private static void enableTls12Tickets(SSLEngine engine) {
    if (engine instanceof ReferenceCountedOpenSslEngine) {
      long ssl = ((ReferenceCountedOpenSslEngine) engine).sslPointer();
      if (ssl != 0) {
        SSL.clearOptions(ssl, SSL.SSL_OP_NO_TICKET);
      }
    }
  }

  /** Forgets every remembered session, so the next connection makes a full handshake. */
  void forgetSessions() {
    tickets.clear();
    javax.net.ssl.SSLSessionContext sessions = context.sessionContext();
    for (byte[] id : java.util.Collections.list(sessions.getIds())) {
      javax.net.ssl.SSLSession session = sessions.getSession(id);
      if (session != null) {
        session.invalidate();
      }
    }
  }

  /** {@code "OpenSSL (BoringSSL)"} or {@code "JDK"}. */
  public String providerName() {
    return providerName;
  }

  /**
   * Frees the tickets kept after failed handshakes. The context's native memory is released by
   * Netty when it becomes unreachable.
   */
  @Override
  public void close() {
    tickets.close();
  }

  @Override
  public String toString() {
    return "ClientTls{" + providerName + ", " + config + '}';
  }
}
