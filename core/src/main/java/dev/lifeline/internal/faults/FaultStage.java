package dev.lifeline.internal.faults;

import io.netty.channel.ChannelHandler;

/**
 * A source of fault-injecting handlers for a client's connections: the narrow hook through which
 * {@code lifeline-testing} breaks connections on purpose. Core knows nothing else of fault
 * injection; tests and the demo reach it through {@code dev.lifeline.testing.Chaos}, which
 * installs one with {@link FaultHook#install}.
 *
 * <p>The handler goes first in the connection's pipeline, below TLS, so that a cut can land
 * anywhere, also in the middle of a TLS record or a frame, as a real network failure would.
 *
 * <p>Internal: not for applications.
 */
public interface FaultStage {

  /** The pipeline name of the handler. */
  String NAME = "chaos";

  /**
   * A handler for a new connection, owned by that connection alone, or null to leave the
   * connection alone (for instance when the planned number of faults is used up).
   */
  ChannelHandler newHandlerOrNull();
}
