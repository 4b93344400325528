package dev.lifeline;

/**
 * Told what happens to a {@link LifelineServer}'s sessions, for metrics and status pages. Every
 * method has an empty default, so a listener overrides only what it needs.
 *
 * <p>Called on I/O and store threads: return quickly and do not block. An exception thrown here
 * is logged and otherwise ignored.
 *
 * <pre>{@code
 * LongAdder resumes = new LongAdder();
 * ServerEventListener listener = new ServerEventListener() {
 *   public void resumeSucceeded(String sessionId, long latencyNanos) {
 *     resumes.increment();
 *   }
 * };
 * LifelineServer.builder().events(listener)...
 * }</pre>
 */
public interface ServerEventListener {
  /** A listener that ignores every event. */
  ServerEventListener NONE = new ServerEventListener() { };

  /** A client opened a new session as {@code identity} (empty for anonymous clients). */
  default void sessionOpened(String sessionId, String identity) {}

  /**
   * A client resumed its session. {@code latencyNanos} runs from its RESUME frame arriving to the
   * session being attached to the new connection (token check and store write included).
   */
  default void resumeSucceeded(String sessionId, long latencyNanos) {}

  /**
   * A resume was refused with {@code code} (e.g. {@link ErrorCode#INVALID_TOKEN}, {@link
   * ErrorCode#RATE_LIMITED}, {@link ErrorCode#STORE_UNAVAILABLE}) after {@code latencyNanos}.
   */
  default void resumeRefused(String sessionId, ErrorCode code, long latencyNanos) {}

  /**
   * The connection under a session is gone; the session lives on until it resumes, closes or
   * expires. {@code reason} says why in a few words, e.g. "connection reset by the client" or
   * "closed with TIMEOUT: nothing received for the idle timeout" (the server's log summary uses
   * the same words).
   */
  default void sessionDisconnected(String sessionId, String reason) {}

  /**
   * On the connection that just ended, the server sent {@code bytes} message bytes again from
   * its replay buffer (messages the client had not acknowledged before an earlier connection
   * was lost). Reported when that connection ends, only when non-zero.
   */
  default void replayed(String sessionId, long bytes) {}

  /** A checkpoint the client's messages reached became durable in the store. */
  default void checkpointCommitted(String sessionId, long latencyNanos) {}

  /** The session ended (closed by either side, refused for good, or expired). */
  default void sessionClosed(String sessionId) {}
}
