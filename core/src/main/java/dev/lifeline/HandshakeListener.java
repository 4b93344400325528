package dev.lifeline;

/**
 * Told about every TLS handshake, on the client and the server side, once it has completed or
 * failed. Called on the connection's I/O thread: return quickly and do not block.
 *
 * <pre>{@code
 * HandshakeStats stats = new HandshakeStats();
 * HandshakeListener listener = stats.andThen(e -> log.debug("{}", e));
 * }</pre>
 */
@FunctionalInterface
public interface HandshakeListener {
  /** A listener that ignores every event. */
  HandshakeListener NONE = event -> { };

  void handshakeCompleted(HandshakeEvent event);

  /** Returns a listener that calls this listener, then {@code next}. */
  default HandshakeListener andThen(HandshakeListener next) {
    if (next == null) {
      throw new NullPointerException("next");
    }
    return event -> {
      handshakeCompleted(event);
      next.handshakeCompleted(event);
    };
  }
}
