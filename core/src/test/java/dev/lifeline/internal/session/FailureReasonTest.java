package dev.lifeline.internal.session;

import static dev.lifeline.HandshakeEvent.Side.CLIENT;
import static dev.lifeline.HandshakeEvent.Side.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import dev.lifeline.internal.protocol.ConnectionClosedException;
import dev.lifeline.internal.protocol.ProtocolException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.io.IOException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * Each common failure, in the shape the engines and Netty raise it, has a reason in words. (The
 * real handshakes behind the most common ones: UntrustedCertificateReasonTest,
 * ConnectionLogSummaryTest, KeyExchangeGroupsTest, HandshakeTimeoutTest.)
 */
class FailureReasonTest {
  private static SSLHandshakeException wrapping(Throwable cause) {
    SSLHandshakeException e = new SSLHandshakeException("General OpenSslEngine problem");
    e.initCause(cause);
    return e;
  }

  @Test
  void certificateRejectedByThisSide() {
    CertificateException untrusted = new CertificateException("PKIX path validation failed",
        new CertPathValidatorException("Path does not chain with any of the trust anchors"));
    assertEquals("the server's certificate is not trusted (CertPathValidatorException: Path does"
        + " not chain with any of the trust anchors)", FailureReason.of(wrapping(untrusted), CLIENT));
    assertEquals("the client's certificate is not trusted (CertPathValidatorException: Path does"
        + " not chain with any of the trust anchors)", FailureReason.of(wrapping(untrusted), SERVER));
    assertTrue(FailureReason.isCertificateRejected(wrapping(untrusted)));

    assertEquals("the server's certificate is not for this host name (No subject alternative"
        + " names matching IP address 10.0.0.7 found)", FailureReason.of(wrapping(
            new CertificateException("No subject alternative names matching IP address 10.0.0.7"
                + " found")), CLIENT));
    assertTrue(FailureReason.of(wrapping(new CertificateExpiredException("NotAfter: Mon Jan 01")),
        CLIENT).startsWith("the server's certificate has expired"));
  }

  @Test
  void certificateRejectedByThePeer() {
    assertEquals("the client does not trust the server's certificate (alert certificate_unknown)",
        FailureReason.of(new SSLHandshakeException(
            "error:10000416:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_UNKNOWN"), SERVER));
    assertEquals("the client does not trust the server's certificate (alert unknown_ca)",
        FailureReason.of(new SSLHandshakeException("Received fatal alert: unknown_ca"), SERVER));
    assertEquals("the server does not trust the client's certificate (alert bad_certificate)",
        FailureReason.of(new SSLHandshakeException(
            "error:10000412:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE"), CLIENT));
    assertTrue(FailureReason.of(new SSLHandshakeException(
            "error:10000438:SSL routines:OPENSSL_internal:TLSV1_ALERT_INTERNAL_ERROR"), SERVER)
        .startsWith("the client aborted the handshake (alert internal_error"));
    assertFalse(FailureReason.isCertificateRejected(new SSLHandshakeException(
        "Received fatal alert: unknown_ca")), "the peer's refusal is not this side's");
  }

  @Test
  void nothingInCommon() {
    assertEquals("no TLS version in common (Lifeline speaks TLS 1.2 and 1.3; UNSUPPORTED_PROTOCOL)",
        FailureReason.of(new SSLHandshakeException(
            "error:100000f0:SSL routines:OPENSSL_internal:UNSUPPORTED_PROTOCOL"), SERVER));
    assertTrue(FailureReason.of(new SSLHandshakeException("No appropriate protocol (protocol is"
        + " disabled or cipher suites are inappropriate)"), CLIENT).startsWith("no TLS version"));
    assertEquals("no cipher suite or key-exchange group in common (NO_SHARED_CIPHER)",
        FailureReason.of(new SSLHandshakeException(
            "error:100000b8:SSL routines:OPENSSL_internal:NO_SHARED_CIPHER"), SERVER));
    assertEquals("no ALPN protocol in common (NO_APPLICATION_PROTOCOL)",
        FailureReason.of(new SSLHandshakeException(
            "error:100000eb:SSL routines:OPENSSL_internal:NO_APPLICATION_PROTOCOL"), SERVER));
  }

  @Test
  void notTlsTimeoutsAndResets() {
    assertEquals("not TLS: the client sent something else (plaintext on the TLS port?)",
        FailureReason.of(new NotSslRecordException("not an SSL/TLS record: 474554"), SERVER));
    assertEquals("not TLS: the server sent something else (not a TLS port?)",
        FailureReason.of(new NotSslRecordException("not an SSL/TLS record: 2b4f4b"), CLIENT));
    assertEquals("the TLS handshake timed out after 10000ms", FailureReason.of(
        new SslHandshakeTimeoutException("handshake timed out after 10000ms"), SERVER));
    assertEquals("connection reset by the client", FailureReason.of(
        new IOException("recvAddress(..) failed with error(-104): Connection reset by peer"),
        SERVER));
    assertEquals("connection closed", FailureReason.of(new ConnectionClosedException(), SERVER));
    assertEquals("connection closed", FailureReason.of(null, SERVER));
  }

  @Test
  void protocolErrorsKeepTheirCode() {
    assertEquals("closed with TIMEOUT: nothing received for the idle timeout", FailureReason.of(
        new ProtocolException(ErrorCode.TIMEOUT, "nothing received for the idle timeout"),
        SERVER));
    assertEquals("the client closed with PROTOCOL_ERROR: DATA seq 17 (expected: 9)",
        FailureReason.of(new ProtocolException(ErrorCode.PROTOCOL_ERROR,
            "peer closed: DATA seq 17 (expected: 9)"), SERVER));
  }

  @Test
  void anythingElseKeepsItsExceptionAndMessage() {
    assertEquals("IllegalStateException: odd", FailureReason.of(
        new IllegalStateException("odd"), SERVER));
  }
}
