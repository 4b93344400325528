package dev.lifeline.transfer;

import dev.lifeline.LifelineException;

/** A transfer could not be completed; {@link #reason()} says why in a way a program can act on. */
public final class TransferException extends LifelineException {
  private static final long serialVersionUID = 1L;

  /** Why a transfer failed. Each has its own exit code in the demo client. */
  public enum Reason {
    /** The name is empty, too long, hidden, has control characters or escapes the directory. */
    INVALID_NAME,
    /** The file is larger than the server accepts. */
    TOO_LARGE,
    /** A complete file of that name exists on the server; it is never overwritten. */
    EXISTS,
    /** No complete file of that name on the server, or no local file to upload. */
    NOT_FOUND,
    /** The receiver's disk is full; the transfer can be resumed once space returns. */
    DISK_FULL,
    /** The received file's SHA-256 does not match the sender's. */
    HASH_MISMATCH,
    /** The server refused the session (unknown, expired, foreign or reused token...). */
    REFUSED,
    /** The server could not be reached before the reconnect deadline. */
    UNREACHABLE,
    /** A local or remote I/O error. */
    IO_ERROR
  }

  private final Reason reason;

  public TransferException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public TransferException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
