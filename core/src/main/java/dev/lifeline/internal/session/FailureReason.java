package dev.lifeline.internal.session;

import dev.lifeline.HandshakeEvent.Side;
import dev.lifeline.internal.protocol.ProtocolException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.util.Locale;

/**
 * Why a connection failed, in a few words a person reads: "the server's certificate is not
 * trusted (...)" rather than "SSLHandshakeException: General OpenSslEngine problem". The one place
 * that classifies a failure; the client's warning, the per-minute {@link ConnectionLog} summary,
 * {@link dev.lifeline.HandshakeEvent#failureMessage()} and the reason a server gives its {@link
 * dev.lifeline.ServerEventListener} (the status page) all use it, so they never disagree.
 *
 * <p>The technical detail follows in parentheses where it adds something (the validator's
 * message, the TLS alert); a failure not recognised keeps its exception's name and message.
 *
 * <pre>{@code
 * log.warn("TLS handshake with {} failed: {}", peer, FailureReason.of(cause, Side.CLIENT));
 * }</pre>
 */
public final class FailureReason {
  private FailureReason() {}

  /**
   * {@code cause} as a short clear reason, as seen by {@code side} (which decides whose
   * certificate "the peer's" is).
   */
  public static String of(Throwable cause, Side side) {
    if (cause == null) {
      return "connection closed";
    }
    String us = side == Side.SERVER ? "server" : "client";
    String peer = side == Side.SERVER ? "client" : "server";
    CertificateException rejected = certificateRejection(cause);
    if (rejected != null) {
      return certificateReason(rejected, rootCause(rejected), peer);
    }
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String reason = known(t, us, peer);
      if (reason != null) {
        return reason;
      }
    }
    Throwable shown = cause; // a wrapper without a message says less than what it wraps
    while (shown.getCause() != null && shown.getCause() != shown && shown.getMessage() == null) {
      shown = shown.getCause();
    }
    return ConnectionHandler.describe(shown);
  }

  /**
   * Whether this side refused the peer's certificate (untrusted, expired, or not for the host):
   * a failure that retrying cannot cure.
   */
  public static boolean isCertificateRejected(Throwable cause) {
    return certificateRejection(cause) != null;
  }

  private static CertificateException certificateRejection(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof CertificateException c) {
        return c;
      }
    }
    return null;
  }

  private static String certificateReason(CertificateException c, Throwable root, String peer) {
    String m = String.valueOf(c.getMessage());
    if (m.startsWith("No subject alternative") || m.startsWith("No name matching")) {
      return "the " + peer + "'s certificate is not for this host name (" + m + ")";
    }
    if (root instanceof CertificateExpiredException || c instanceof CertificateExpiredException) {
      return "the " + peer + "'s certificate has expired (" + root.getMessage() + ")";
    }
    return "the " + peer + "'s certificate is not trusted (" + ConnectionHandler.describe(root)
        + ")";
  }

  /** The reason for {@code t} alone, or null if it says nothing recognisable. */
  private static String known(Throwable t, String us, String peer) {
    if (t instanceof ProtocolException p) {
      String m = String.valueOf(p.getMessage());
      return m.startsWith("peer closed: ")
          ? "the " + peer + " closed with " + p.code() + ": " + m.substring("peer closed: ".length())
          : "closed with " + p.code() + ": " + m;
    }
    if (t instanceof SslHandshakeTimeoutException) {
      String m = String.valueOf(t.getMessage()); // "handshake timed out after 10000ms"
      int after = m.indexOf("after ");
      return "the TLS handshake timed out" + (after >= 0 ? " " + m.substring(after) : "");
    }
    if (t instanceof NotSslRecordException) {
      return "not TLS: the " + peer + " sent something else ("
          + (peer.equals("client") ? "plaintext on the TLS port?" : "not a TLS port?") + ")";
    }
    if (t instanceof ClosedChannelException) {
      return "connection closed";
    }
    String m = t.getMessage();
    if (m == null) {
      return null;
    }
    if (t instanceof javax.net.ssl.SSLException) {
      return tlsReason(m.toUpperCase(Locale.ROOT), us, peer, m);
    }
    if (t instanceof IOException) {
      String lower = m.toLowerCase(Locale.ROOT);
      if (lower.contains("connection reset")) {
        return "connection reset by the " + peer;
      }
      if (lower.contains("broken pipe")) {
        return "connection broken: the " + peer + " is gone (" + m + ")";
      }
      if (lower.contains("connection refused")) {
        return "connection refused: nothing listens there (" + m + ")";
      }
      if (lower.contains("timed out")) {
        return "connection timed out (" + m + ")";
      }
    }
    return null;
  }

  /**
   * TLS failures by the alert or error the engine names: BoringSSL as {@code
   * error:...:SSLV3_ALERT_CERTIFICATE_UNKNOWN}, the JDK as "Received fatal alert:
   * certificate_unknown" or in words.
   */
  private static String tlsReason(String up, String us, String peer, String m) {
    String alert = alertName(up);
    if (up.contains("CERTIFICATE_UNKNOWN") || up.contains("UNKNOWN_CA")
        || up.contains("BAD_CERTIFICATE") || up.contains("CERTIFICATE_EXPIRED")
        || up.contains("CERTIFICATE_REVOKED") || up.contains("UNSUPPORTED_CERTIFICATE")) {
      return "the " + peer + " does not trust the " + us + "'s certificate (alert " + alert + ")";
    }
    if (up.contains("CERTIFICATE_REQUIRED") || up.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE")) {
      return "the server requires a client certificate and the client sent none";
    }
    if (up.contains("ALERT_INTERNAL_ERROR") || up.contains("ALERT: INTERNAL_ERROR")) {
      // What an OpenSSL-provider (BoringSSL) Netty client sends when its trust manager rejects
      // the server's certificate: the only sign of it this side gets.
      return "the " + peer + " aborted the handshake (alert internal_error: a Lifeline " + peer
          + " that does not trust the " + us + "'s certificate sends it)";
    }
    if (up.contains("UNSUPPORTED_PROTOCOL") || up.contains("PROTOCOL_VERSION")
        || up.contains("NO APPROPRIATE PROTOCOL")) {
      return "no TLS version in common (Lifeline speaks TLS 1.2 and 1.3; " + shortTls(m) + ")";
    }
    if (up.contains("NO_SHARED_CIPHER") || up.contains("NO CIPHER SUITES IN COMMON")
        || up.contains("NO_SHARED_GROUP") || up.contains("WRONG_CURVE")
        || up.contains("HANDSHAKE_FAILURE") || up.contains("INSUFFICIENT_SECURITY")
        || up.contains("NO APPROPRIATE CIPHER")) {
      return "no cipher suite or key-exchange group in common (" + shortTls(m) + ")";
    }
    if (up.contains("NO_APPLICATION_PROTOCOL")) {
      return "no ALPN protocol in common (" + shortTls(m) + ")";
    }
    // Not BAD_PACKET_LENGTH: BoringSSL also says that of the alert openssl s_client sends when it
    // rejects the certificate, which is TLS.
    if (up.contains("HTTP_REQUEST") || up.contains("UNRECOGNIZED SSL MESSAGE")
        || up.contains("PLAINTEXT")) {
      return "not TLS: the " + peer + " sent something else (" + shortTls(m) + ")";
    }
    return null;
  }

  /** The alert's name in TLS's spelling: "certificate_unknown" out of either engine's text. */
  private static String alertName(String up) {
    int at = up.indexOf("ALERT_");
    if (at >= 0) {
      return up.substring(at + "ALERT_".length()).toLowerCase(Locale.ROOT);
    }
    at = up.indexOf("ALERT: ");
    return at >= 0 ? up.substring(at + "ALERT: ".length()).toLowerCase(Locale.ROOT) : "?";
  }

  /** BoringSSL's "error:100000f0:SSL routines:OPENSSL_internal:X" as just X. */
  private static String shortTls(String m) {
    int at = m.lastIndexOf(':');
    return m.startsWith("error:") && at >= 0 ? m.substring(at + 1) : m;
  }

  private static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }
}
