package dev.lifeline.internal.protocol;

/**
 * The one place the Lifeline wire format is written down (mirrored in {@code docs/protocol.md}).
 *
 * <p>Every frame, in both directions, after the TLS handshake:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    length (u32, big endian)                   |
 *  +---------------+---------------+-------------------------------+
 *  |  version (u8) |   type (u8)   |  body (length - 2 bytes) ...  |
 *  +---------------+---------------+-------------------------------+
 * </pre>
 *
 * {@code length} counts the bytes after itself (version + type + body) and is validated against
 * the receiver's maximum before anything is allocated. Bodies by type (all integers big endian;
 * {@code bytes16} is a u16 length then that many bytes, {@code bytes32} a u32 length then bytes):
 *
 * <pre>
 *  HELLO    0x01  server → client, first frame after the handshake
 *                 u16 protocolVersion | u32 maxFrameSize | bytes16 serverName (UTF-8)
 *  OPEN     0x02  client → server: start a new session
 *                 u32 maxFrameSize | bytes16 credentials
 *  RESUME   0x03  client → server: continue an existing session
 *                 bytes16 sessionId (ASCII) | bytes16 token (32) | bytes16 credentials
 *                 | StreamState (client's view)
 *  OPENED   0x04  server → client: session created
 *                 bytes16 sessionId | bytes16 token (32)
 *  RESUMED  0x05  server → client: session continued, token replaced
 *                 bytes16 newToken (32) | StreamState (server's view)
 *  CONFIRM  0x06  client → server: the client has durably stored the new token
 *                 (empty body)
 *  DATA     0x10  u64 seq | payload (rest of the frame)
 *  ACK      0x11  u64 cumulative seq (everything up to and including it is acknowledged)
 *  PING     0x12  u64 opaque (echoed in PONG)
 *  PONG     0x13  u64 opaque
 *  CLOSE    0x1F  u16 errorCode | bytes16 reason (UTF-8)
 *
 *  StreamState (one side's view of both streams of the session):
 *    u64 received       last sequence received in order from the peer
 *    u64 checkpointSeq  last durable checkpoint of the received stream
 *    bytes32 checkpointState (≤ 64 KiB)
 *    u64 replayFrom     lowest sequence this side can still send again
 *                       (NO_REPLAY when its replay buffer is gone, e.g. after a restart)
 * </pre>
 */
public final class FrameDescriptor {
  private FrameDescriptor() {}

  /** The protocol version every frame carries. */
  public static final int VERSION = 1;

  /** Bytes of the length field. */
  public static final int LENGTH_FIELD_BYTES = 4;
  /** Bytes after the length field that every frame has: version and type. */
  public static final int HEADER_BODY_BYTES = 2;
  /** Total fixed header: length + version + type. */
  public static final int HEADER_BYTES = LENGTH_FIELD_BYTES + HEADER_BODY_BYTES;
  /** DATA overhead after the fixed header: the sequence number. */
  public static final int DATA_SEQ_BYTES = 8;

  /** The smallest maximum frame size a peer may announce. */
  public static final int MIN_MAX_FRAME_SIZE = 4 * 1024;
  /** The largest maximum frame size this implementation accepts. */
  public static final int MAX_MAX_FRAME_SIZE = 16 * 1024 * 1024;
  /** Limit for the handshake-phase frames (OPEN, RESUME, HELLO...), whatever maxFrameSize says. */
  public static final int MAX_CONTROL_FRAME_SIZE = 80 * 1024;

  public static final int TOKEN_BYTES = 32;
  public static final int MAX_CREDENTIALS_BYTES = 4 * 1024;
  public static final int MAX_REASON_BYTES = 1024;

  /** {@code replayFrom} value meaning "this side cannot replay anything". */
  public static final long NO_REPLAY = Long.MAX_VALUE;

  public static final byte HELLO = 0x01;
  public static final byte OPEN = 0x02;
  public static final byte RESUME = 0x03;
  public static final byte OPENED = 0x04;
  public static final byte RESUMED = 0x05;
  public static final byte CONFIRM = 0x06;
  public static final byte DATA = 0x10;
  public static final byte ACK = 0x11;
  public static final byte PING = 0x12;
  public static final byte PONG = 0x13;
  public static final byte CLOSE = 0x1F;

  /** The frame length (after the length field) of a DATA frame carrying {@code messageSize}. */
  public static int dataFrameLength(int messageSize) {
    return HEADER_BODY_BYTES + DATA_SEQ_BYTES + messageSize;
  }

  /** The largest message a DATA frame of at most {@code frameLength} can carry. */
  public static int maxMessageSize(int frameLength) {
    return frameLength - HEADER_BODY_BYTES - DATA_SEQ_BYTES;
  }

  /** A short name for logs. */
  public static String typeName(int type) {
    return switch (type) {
      case HELLO -> "HELLO";
      case OPEN -> "OPEN";
      case RESUME -> "RESUME";
      case OPENED -> "OPENED";
      case RESUMED -> "RESUMED";
      case CONFIRM -> "CONFIRM";
      case DATA -> "DATA";
      case ACK -> "ACK";
      case PING -> "PING";
      case PONG -> "PONG";
      case CLOSE -> "CLOSE";
      default -> String.format("0x%02x", type);
    };
  }
}
