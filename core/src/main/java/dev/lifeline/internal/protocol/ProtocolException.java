package dev.lifeline.internal.protocol;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineException;

/**
 * The peer broke the protocol; {@link #code()} is what goes into the CLOSE frame.
 *
 * <p>Carries no stack trace: it describes the peer's bytes, not this side's code, and a peer
 * sending garbage (or a scanner, or a flood of refused resumes) would otherwise make the server
 * walk a deep Netty stack for every connection it closes.
 */
public final class ProtocolException extends LifelineException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public ProtocolException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }

  public ErrorCode code() {
    return code;
  }
}
