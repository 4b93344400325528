package dev.lifeline;

import java.io.IOException;

/**
 * The TLS configuration cannot be used: a file is missing, unreadable or not PEM, a private key
 * does not match its certificate, or a requested provider is not available. The message names the
 * culprit (usually a file) and is meant to be shown to an operator as is, without a stack trace.
 */
public final class TlsConfigurationException extends IOException {
  private static final long serialVersionUID = 1L;

  public TlsConfigurationException(String message) {
    super(message);
  }

  public TlsConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
