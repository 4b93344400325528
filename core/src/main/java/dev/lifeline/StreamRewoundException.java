package dev.lifeline;

import dev.lifeline.store.Checkpoint;

/**
 * The peer lost messages this side had already sent (it restarted, or this side restarted and
 * lost its replay buffer), so the outbound stream was rewound to the peer's last durable
 * checkpoint. Thrown once by the next {@link Session#send} after the rewind; pending send futures
 * fail with it too. The application continues from {@link #checkpoint()}: for a file, it seeks
 * to the offset stored in the checkpoint state and sends from there.
 *
 * <pre>{@code
 * try {
 *   session.send(chunk);
 * } catch (StreamRewoundException e) {
 *   file.position(offsetFrom(e.checkpoint().state()));
 * }
 * }</pre>
 */
public final class StreamRewoundException extends LifelineException {
  private static final long serialVersionUID = 1L;

  private final transient Checkpoint checkpoint;

  public StreamRewoundException(Checkpoint checkpoint) {
    super("stream rewound to the peer's checkpoint at " + checkpoint.position());
    this.checkpoint = checkpoint;
  }

  /** The peer's last durable checkpoint; messages after its position must be sent again. */
  public Checkpoint checkpoint() {
    return checkpoint;
  }
}
