package dev.lifeline.store;

import java.io.IOException;

/** A checkpoint store could not do what was asked; the message names the file or server. */
public class StoreException extends IOException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
