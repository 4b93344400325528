package dev.lifeline;

/**
 * The session continues on another server node that shares this one's store: a client resumed
 * it there. This node dropped its copy and stopped writing to it; the stored record and whatever
 * the application keeps beside it (a partial upload) now belong to the other node and must be
 * left alone. {@link SessionHandler#onClosed} receives it as the cause.
 *
 * <pre>{@code
 * public void onClosed(Session session, Throwable cause) {
 *   if (cause instanceof SessionMovedException) {
 *     closeFilesOf(session);        // another node continues: keep them
 *   } else {
 *     deletePartialFilesOf(session);
 *   }
 * }
 * }</pre>
 */
public final class SessionMovedException extends LifelineException {
  private static final long serialVersionUID = 1L;

  public SessionMovedException(String message) {
    super(message);
  }
}
