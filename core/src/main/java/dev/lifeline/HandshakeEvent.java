package dev.lifeline;

import java.util.Objects;
import java.util.Optional;

/**
 * One finished TLS handshake, seen from one side of the connection.
 *
 * <p>A handshake is <em>resumed</em> when the peers reused an earlier session (a TLS 1.3 PSK from a
 * session ticket, or a TLS 1.2 ticket or session id) instead of a full key exchange with
 * certificate verification. A failed handshake is neither full nor resumed; {@link #protocol()} and
 * {@link #cipherSuite()} are then empty strings.
 *
 * <pre>{@code
 * HandshakeListener listener = event -> {
 *   if (event.succeeded() && !event.resumed()) {
 *     log.info("full handshake with {} took {} µs", event.peer(), event.durationNanos() / 1000);
 *   }
 * };
 * }</pre>
 */
public final class HandshakeEvent {
  /** Which end of the connection observed the handshake. */
  public enum Side {
    CLIENT,
    SERVER
  }

  private final Side side;
  private final boolean succeeded;
  private final boolean resumed;
  private final String protocol;
  private final String cipherSuite;
  private final String keyExchangeGroup; // null: unknown, or no key exchange
  private final String provider;
  private final String peer;
  private final long durationNanos;
  private final String failureMessage; // null when succeeded

  private HandshakeEvent(Side side, boolean succeeded, boolean resumed, String protocol,
      String cipherSuite, String keyExchangeGroup, String provider, String peer,
      long durationNanos, String failureMessage) {
    this.side = Objects.requireNonNull(side, "side");
    this.succeeded = succeeded;
    this.resumed = resumed;
    this.protocol = Objects.requireNonNull(protocol, "protocol");
    this.cipherSuite = Objects.requireNonNull(cipherSuite, "cipherSuite");
    this.keyExchangeGroup = keyExchangeGroup == null || keyExchangeGroup.isEmpty() ? null
        : keyExchangeGroup;
    this.provider = Objects.requireNonNull(provider, "provider");
    this.peer = Objects.requireNonNull(peer, "peer");
    if (durationNanos < 0) {
      throw new IllegalArgumentException("durationNanos: " + durationNanos + " (expected: >= 0)");
    }
    this.durationNanos = durationNanos;
    this.failureMessage = failureMessage;
  }

  /** A handshake that completed, either full or resumed; its key-exchange group unknown. */
  public static HandshakeEvent success(Side side, boolean resumed, String protocol,
      String cipherSuite, String provider, String peer, long durationNanos) {
    return success(side, resumed, protocol, cipherSuite, null, provider, peer, durationNanos);
  }

  /**
   * A handshake that completed, either full or resumed, with the group of its key exchange
   * ({@code null} or empty when unknown or when there was none).
   */
  public static HandshakeEvent success(Side side, boolean resumed, String protocol,
      String cipherSuite, String keyExchangeGroup, String provider, String peer,
      long durationNanos) {
    return new HandshakeEvent(side, true, resumed, protocol, cipherSuite, keyExchangeGroup,
        provider, peer, durationNanos, null);
  }

  /** A handshake that failed (or a connection refused before it started) for {@code reason}. */
  public static HandshakeEvent failure(Side side, String provider, String peer,
      long durationNanos, String reason) {
    return new HandshakeEvent(side, false, false, "", "", null, provider, peer, durationNanos,
        Objects.requireNonNull(reason, "reason"));
  }

  public Side side() {
    return side;
  }

  public boolean succeeded() {
    return succeeded;
  }

  /** True when an earlier session was reused; always false for a failed handshake. */
  public boolean resumed() {
    return resumed;
  }

  /** The negotiated protocol, e.g. {@code "TLSv1.3"}; empty when the handshake failed. */
  public String protocol() {
    return protocol;
  }

  /** The negotiated cipher suite, e.g. {@code "TLS_AES_128_GCM_SHA256"}; empty on failure. */
  public String cipherSuite() {
    return cipherSuite;
  }

  /**
   * The group of the handshake's key exchange, e.g. {@code "X25519MLKEM768"} (the default between
   * two Lifeline endpoints on the OpenSSL provider) or {@code "x25519"}, as named in the IANA
   * registry (see {@link ServerTlsConfig.Builder#keyExchangeGroups}). A TLS 1.3 resumption makes a
   * key exchange too, so it has one. With the JDK provider, which has no API for it, a TLS 1.3
   * group is read from the ServerHello on the wire and a TLS 1.2 group is not known. Empty when
   * the handshake failed, when there was no key exchange (a resumed TLS 1.2 session) or when the
   * group is not known.
   */
  public Optional<String> keyExchangeGroup() {
    return Optional.ofNullable(keyExchangeGroup);
  }

  /** The TLS implementation, e.g. {@code "OpenSSL (BoringSSL)"} or {@code "JDK"}. */
  public String provider() {
    return provider;
  }

  /** The remote address as {@code host:port}. */
  public String peer() {
    return peer;
  }

  /** From the connection becoming active until the handshake completed or failed. */
  public long durationNanos() {
    return durationNanos;
  }

  /**
   * Why the handshake failed, in words (e.g. "the client does not trust the server's certificate
   * (alert certificate_unknown)", "the TLS handshake timed out after 10000ms"); empty when it
   * succeeded.
   */
  public Optional<String> failureMessage() {
    return Optional.ofNullable(failureMessage);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof HandshakeEvent)) {
      return false;
    }
    HandshakeEvent that = (HandshakeEvent) o;
    return side == that.side && succeeded == that.succeeded && resumed == that.resumed
        && durationNanos == that.durationNanos && protocol.equals(that.protocol)
        && cipherSuite.equals(that.cipherSuite)
        && Objects.equals(keyExchangeGroup, that.keyExchangeGroup) && provider.equals(that.provider)
        && peer.equals(that.peer) && Objects.equals(failureMessage, that.failureMessage);
  }

  @Override
  public int hashCode() {
    return Objects.hash(side, succeeded, resumed, protocol, cipherSuite, keyExchangeGroup,
        provider, peer, durationNanos, failureMessage);
  }

  @Override
  public String toString() {
    String head = "HandshakeEvent{" + side + ' ' + peer + ' ' + provider + ' ';
    if (!succeeded) {
      return head + "failed: " + failureMessage + " after " + durationNanos / 1000 + "µs}";
    }
    return head + (resumed ? "resumed " : "full ") + protocol + ' ' + cipherSuite
        + (keyExchangeGroup != null ? ' ' + keyExchangeGroup : "") + " in "
        + durationNanos / 1000 + "µs}";
  }
}
