package dev.lifeline.store;

/**
 * A write was refused because another process {@linkplain CheckpointStore#claim claimed} the
 * session since this one did: the session continues on another server node. The process that
 * gets it must stop writing to the session (its copy is stale) and drop it without deleting it.
 */
public final class SessionTakenException extends StoreException {
  private static final long serialVersionUID = 1L;

  private final String sessionId;

  public SessionTakenException(String sessionId, String message) {
    super(message);
    this.sessionId = sessionId;
  }

  /** The session that moved. */
  public String sessionId() {
    return sessionId;
  }
}
