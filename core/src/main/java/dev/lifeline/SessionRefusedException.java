package dev.lifeline;

/**
 * The server refused to open or resume a session, or closed it for good. {@link #code()} says
 * why; the session cannot be resumed after this.
 */
public final class SessionRefusedException extends LifelineException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public SessionRefusedException(ErrorCode code, String reason) {
    super(code + ": " + reason);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
