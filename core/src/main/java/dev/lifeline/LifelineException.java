package dev.lifeline;

import java.io.IOException;

/** A session failed because of the peer or the network. */
public class LifelineException extends IOException {
  private static final long serialVersionUID = 1L;

  public LifelineException(String message) {
    super(message);
  }

  public LifelineException(String message, Throwable cause) {
    super(message, cause);
  }
}
