package dev.lifeline.internal.session;

/**
 * Where one connection is in its life, on either side: the per-connection state machine of
 * docs/protocol.md. A connection moves forward only, in the order declared here; once {@link
 * #CLOSING} it stays there until {@link #CLOSED}, whatever else completes late.
 *
 * <pre>
 *   HANDSHAKE ──TLS ok──▶ GREETING ──OPEN/RESUME──▶ ADMITTING ──OPENED/RESUMED──▶ ESTABLISHED
 *       └──────────────────────┴─── CLOSE sent or received ───┴──────────────────────┴──▶ CLOSING
 *   any ──connection gone──▶ CLOSED
 * </pre>
 */
enum ConnectionPhase {
  /** TLS handshake under way. */
  HANDSHAKE,
  /**
   * TLS done; the server has sent HELLO and waits for OPEN or RESUME, the client waits for HELLO.
   */
  GREETING,
  /**
   * OPEN or RESUME under way: the client waits for OPENED or RESUMED; the server checks it with
   * the store, not reading meanwhile, so any frame that still arrives is a protocol error.
   */
  ADMITTING,
  /** A session is attached: DATA, ACK, PING, PONG, CLOSE (and CONFIRM at the server). */
  ESTABLISHED,
  /**
   * A CLOSE is on its way, sent or received: frames that follow (pipelined behind the offending
   * one, or read before the close completes) must not act any more.
   */
  CLOSING,
  /** The connection is gone; its session, if any, is detached, not ended. */
  CLOSED;

  /**
   * Whether OPEN or RESUME (server) or HELLO (client) may still come. Frames arrive only after
   * TLS, but a handler run without TLS (as in tests) gets them in {@link #HANDSHAKE}.
   */
  boolean awaitsGreeting() {
    return this == HANDSHAKE || this == GREETING;
  }

  /**
   * Whether this connection may move on to {@code next}: only forward, in the order declared, so
   * nothing completing late (a TLS handshake, a store's answer) takes it back out of an end.
   */
  boolean canMoveTo(ConnectionPhase next) {
    return next.compareTo(this) > 0;
  }
}
