package dev.lifeline;

import dev.lifeline.store.Checkpoint;
import java.nio.ByteBuffer;

/**
 * The application side of a {@link Session}. Callbacks for one session run one at a time, in
 * order, on a thread that is not a network I/O thread, so a handler may write to disk. While a
 * callback runs, later messages of the same session wait (and, past a bound, the peer is slowed
 * down by TCP flow control).
 *
 * <pre>{@code
 * SessionHandler handler = new SessionHandler() {
 *   @Override
 *   public void onMessage(Session session, long seq, ByteBuffer message) {
 *     out.write(message);
 *   }
 * };
 * }</pre>
 */
public interface SessionHandler {

  /**
   * Whether this handler's sessions acknowledge a received message as soon as {@link #onMessage}
   * returned ({@code true}, the default), or only through {@link Session#checkpoint}, once the
   * checkpoint is durable ({@code false}).
   *
   * <p>A receiver that must not lose messages when its process dies returns {@code false}:
   * messages after its last checkpoint are then never acknowledged, so the sender still holds
   * them and sends them again to the restarted receiver. The declaration is asked once per session, when the session
   * is created or restored from the store after a restart, before any callback, so it holds from
   * the first message on; return a constant. It is the way to declare it: {@link #onOpen} does not
   * run for a restored session, so a call to {@link Session#setAutoAck} there would not be repeated
   * after a restart.
   *
   * <pre>{@code
   * SessionHandler receiver = new SessionHandler() {
   *   public boolean autoAcknowledge() {
   *     return false; // acknowledge only what a checkpoint made durable
   *   }
   *
   *   public void onMessage(Session session, long seq, ByteBuffer message) throws IOException {
   *     out.write(message);
   *     out.force(false);
   *     session.checkpoint(seq, ByteBuffer.allocate(8).putLong(out.position()).array());
   *   }
   * };
   * }</pre>
   */
  default boolean autoAcknowledge() {
    return true;
  }

  /**
   * On the server: a client opened a new session. Not called for a session restored from the
   * store after a restart (its first callback is {@link #onInboundRewind}), nor on the client,
   * where {@code LifelineClient.open}'s future completes instead.
   */
  default void onOpen(Session session) {}

  /**
   * One message, delivered once and in order. {@code message} is valid only during this call;
   * copy what you keep. An exception thrown here ends the session with {@link
   * ErrorCode#APPLICATION_ERROR}.
   *
   * <p>The one method without a default, so a receiver can be a lambda; a side that only sends
   * implements {@link SendOnly} instead.
   */
  void onMessage(Session session, long seq, ByteBuffer message) throws Exception;

  /**
   * The received stream went back to this side's last durable checkpoint because messages after
   * it were lost with a process. Discard the effects of messages after {@code checkpoint} (for a
   * file: truncate to the offset in its state); the next message is {@code checkpoint.position() +
   * 1}. On a server that restarted this is the first callback of a resumed session.
   *
   * <p>It comes only once every checkpoint asked for before it has landed or failed, and {@code
   * checkpoint} is the newest that landed: a checkpoint still syncing when the rewind happened is
   * never discarded here while the store keeps it.
   */
  default void onInboundRewind(Session session, Checkpoint checkpoint) {}

  /**
   * The peer lost messages this side had sent (it restarted, or this side did), so the outbound
   * stream went back to the peer's last durable {@code checkpoint}: the next message sent gets
   * sequence {@code checkpoint.position() + 1} and must carry what followed that checkpoint. The
   * next {@link Session#send} also throws {@link StreamRewoundException}; an application that is
   * not sending at the moment (it waits for an answer) learns of the rewind here.
   */
  default void onOutboundRewind(Session session, Checkpoint checkpoint) {}

  /** The connection under the session broke; the client is reconnecting. */
  default void onDisconnected(Session session, Throwable cause) {}

  /** The session continues on a new connection. */
  default void onResumed(Session session) {}

  /** The session is over: {@code cause} is {@code null} after a normal close. */
  default void onClosed(Session session, Throwable cause) {}

  /**
   * A handler for a side that only sends: every method has a default, so it implements only what
   * it uses ({@code new SessionHandler.SendOnly() {}} when it needs none). A message arriving at
   * such a side is a mistake of the peer's: the session ends with {@link
   * ErrorCode#APPLICATION_ERROR} rather than dropping it unseen.
   *
   * <pre>{@code
   * Session session = client.open("telemetry", new SessionHandler.SendOnly() {
   *   public void onClosed(Session s, Throwable cause) { log.info("done: {}", cause); }
   * }).get();
   * }</pre>
   */
  interface SendOnly extends SessionHandler {
    @Override
    default void onMessage(Session session, long seq, ByteBuffer message) {
      throw new UnsupportedOperationException("this side only sends: " + getClass().getName()
          + " is a SessionHandler.SendOnly, and message " + seq + " arrived");
    }
  }
}
