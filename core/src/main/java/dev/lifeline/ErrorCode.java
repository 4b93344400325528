package dev.lifeline;

/**
 * Why a connection or session was closed, as carried in a CLOSE frame. The numeric codes are part
 * of the wire protocol ({@code docs/protocol.md}) and never change meaning.
 *
 * <p>{@link #isResumable()} tells whether the session survives the close: a client reconnects and
 * resumes after a resumable code, and gives up after any other.
 */
public enum ErrorCode {
  /** The session ended normally; both sides forget it. */
  NORMAL(0, false),
  /** Bytes that do not parse as a frame, or a frame out of place. */
  PROTOCOL_ERROR(1, true),
  /** A frame longer than the receiver's maximum. */
  FRAME_TOO_LARGE(2, true),
  /** A frame type this version does not know. */
  UNKNOWN_FRAME_TYPE(3, true),
  /** The peer speaks a protocol version this side does not. */
  UNSUPPORTED_VERSION(4, false),
  /** No answer in time: handshake or idle timeout. */
  TIMEOUT(5, true),
  /** The resume named a session this server does not know. */
  UNKNOWN_SESSION(10, false),
  /** The session existed but its time to live passed. */
  EXPIRED_SESSION(11, false),
  /** The resume token was valid once and has been replaced since. */
  TOKEN_REUSED(12, false),
  /** The resume token does not match the session. */
  INVALID_TOKEN(13, false),
  /** The session belongs to another identity. */
  FOREIGN_SESSION(14, false),
  /** Too many refused attempts from this source; try again later. */
  RATE_LIMITED(15, true),
  /** The server holds as many sessions as it may. */
  TOO_MANY_SESSIONS(16, true),
  /** The credentials were refused by the server's authenticator. */
  AUTHENTICATION_FAILED(17, false),
  /**
   * OPEN refused: the client's identity already holds as many sessions as the server allows one
   * identity. Not resumable: a client that retried would be refused again until it closes one of
   * its sessions or one expires.
   */
  TOO_MANY_SESSIONS_FOR_IDENTITY(18, false),
  /** The application refused or aborted the session. */
  APPLICATION_ERROR(20, false),
  /** The receiver's store could not make a checkpoint durable. */
  STORE_UNAVAILABLE(21, true),
  /** The server is shutting down; resume elsewhere or later. */
  GOING_AWAY(22, true),
  /** A bug on the sending side. */
  INTERNAL_ERROR(30, true);

  private final int code;
  private final boolean resumable;

  ErrorCode(int code, boolean resumable) {
    this.code = code;
    this.resumable = resumable;
  }

  /** The number on the wire. */
  public int code() {
    return code;
  }

  /** Whether the session may be resumed after a close with this code. */
  public boolean isResumable() {
    return resumable;
  }

  /** The code with this number, or {@link #PROTOCOL_ERROR} for a number this version does not know. */
  public static ErrorCode of(int code) {
    for (ErrorCode c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    return PROTOCOL_ERROR;
  }
}
