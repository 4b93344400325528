package dev.lifeline.internal.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import java.util.List;

/** Protocol ids, cipher suites and pipeline names shared by the client and server side. */
public final class TlsConstants {
  /** The ALPN protocol id of the Lifeline session protocol. */
  public static final String ALPN_PROTOCOL = "lifeline/1";

  /** The ALPN protocol id of HTTP/1.1, served beside Lifeline when the server has an HTTP service. */
  public static final String HTTP_ALPN_PROTOCOL = "http/1.1";

  /**
   * Pipeline names, front to back: wire observer (JDK only), TLS, limiter (server), ticket sender
   * (server) or ticket watcher (client) (OpenSSL only, until the handshake ends), classifier.
   */
  public static final String WIRE_OBSERVER_HANDLER = "lifeline-tls-wire";
  public static final String SSL_HANDLER = "lifeline-tls";
  public static final String LIMITER_HANDLER = "lifeline-tls-limiter";
  public static final String TICKET_HANDLER = "lifeline-tls-tickets";
  public static final String TICKET_TAP_HANDLER = "lifeline-tls-ticket-tap";
  public static final String CLASSIFIER_HANDLER = "lifeline-tls-classifier";

  /**
   * TLS 1.3 suites (all AEAD and forward secret by design) and the TLS 1.2 suites that are both:
   * ECDHE key exchange with AES-GCM or ChaCha20-Poly1305. Nothing else is ever enabled.
   */
  static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /**
   * The server selects {@link #ALPN_PROTOCOL} when offered and otherwise selects nothing; the
   * client offers only {@link #ALPN_PROTOCOL}. These failure behaviours are the ones both
   * providers support.
   */
  static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
      Protocol.ALPN, SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT,
      ALPN_PROTOCOL);

  /**
   * A server with an HTTP service: {@link #ALPN_PROTOCOL} first, then {@link #HTTP_ALPN_PROTOCOL};
   * a client that offers neither (or no ALPN at all) gets no ALPN answer and is served HTTP/1.1.
   */
  static final ApplicationProtocolConfig ALPN_WITH_HTTP = new ApplicationProtocolConfig(
      Protocol.ALPN, SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT,
      ALPN_PROTOCOL, HTTP_ALPN_PROTOCOL);

  private TlsConstants() {
  }
}
