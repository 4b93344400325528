package dev.lifeline.internal.protocol;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineException;

/** The peer broke the protocol; {@link #code()} is what goes into the CLOSE frame. */
public final class ProtocolException extends LifelineException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public ProtocolException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
