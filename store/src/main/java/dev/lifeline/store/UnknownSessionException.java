package dev.lifeline.store;

/** A commit named a session the store does not hold (never created, deleted or expired). */
public final class UnknownSessionException extends StoreException {
  private static final long serialVersionUID = 1L;

  public UnknownSessionException(String id) {
    super("unknown session: " + id);
  }
}
