package dev.lifeline.internal.protocol;

import dev.lifeline.store.Checkpoint;

/**
 * The one place the Lifeline wire format is written down (mirrored in {@code docs/protocol.md}):
 * the header layout, every offset, every type code and every limit. Code that reads or writes
 * frames ({@link FrameReader}, {@link FrameDecoder}, {@link FrameEncoder}) takes its numbers from
 * here and never re-derives them.
 *
 * <p>Every frame, in both directions, after the TLS handshake (offsets in bytes from the start of
 * the frame, all integers big endian):
 *
 * <pre>
 *   0               4       5       6
 *   +---------------+-------+-------+-----------------------------+
 *   | length (u32)  |version| type  | body (length - 2 bytes) ... |
 *   |               |  (u8) |  (u8) |                             |
 *   +---------------+-------+-------+-----------------------------+
 *                   '--------------- length bytes ----------------'
 * </pre>
 *
 * {@code length} counts the bytes after itself (version + type + body), so it is at least
 * {@link #MIN_FRAME_LENGTH}, and it is validated against the receiver's maximum before anything is
 * allocated. A DATA frame's body is its sequence number and then the message itself:
 *
 * <pre>
 *   0               4       5       6                               14
 *   +---------------+-------+-------+-------------------------------+---------------+
 *   | length (u32)  |   1   | 0x10  | seq (u64)                     | payload ...   |
 *   +---------------+-------+-------+-------------------------------+---------------+
 *   '---------------------- DATA_HEADER_BYTES ----------------------'
 * </pre>
 *
 * Bodies by type ({@code bytes16} is a u16 length then that many bytes, {@code bytes32} a u32
 * length then bytes; each limit is the constant named in brackets):
 *
 * <pre>
 *  HELLO    0x01  server → client, first frame after the handshake
 *                 u16 protocolVersion | u32 maxFrameSize
 *                 | bytes16 serverName (UTF-8) [MAX_SERVER_NAME_BYTES]
 *  OPEN     0x02  client → server: start a new session
 *                 u32 maxFrameSize | bytes16 credentials [MAX_CREDENTIALS_BYTES]
 *                 [ | bytes16 producerId [exactly PRODUCER_ID_BYTES] | u64 producerBase ]
 *                 (only from a client with a durable outbox: its message producerBase + seq
 *                 is this session's message seq; the server drops those it already stored)
 *  RESUME   0x03  client → server: continue an existing session
 *                 bytes16 sessionId (printable ASCII) [MAX_SESSION_ID_BYTES]
 *                 | bytes16 token [exactly TOKEN_BYTES]
 *                 | bytes16 credentials [MAX_CREDENTIALS_BYTES] | StreamState (client's view)
 *  OPENED   0x04  server → client: session created
 *                 bytes16 sessionId [MAX_SESSION_ID_BYTES] | bytes16 token [exactly TOKEN_BYTES]
 *  RESUMED  0x05  server → client: session continued, token replaced
 *                 bytes16 newToken [exactly TOKEN_BYTES] | StreamState (server's view)
 *  CONFIRM  0x06  client → server: the client has durably stored the new token
 *                 (empty body)
 *  DATA     0x10  u64 seq | payload (rest of the frame)
 *  ACK      0x11  u64 cumulative seq (everything up to and including it is acknowledged)
 *  PING     0x12  u64 opaque (echoed in PONG)
 *  PONG     0x13  u64 opaque
 *  CLOSE    0x1F  u16 errorCode | bytes16 reason (UTF-8) [MAX_REASON_BYTES; longer is cut]
 *
 *  StreamState (one side's view of both streams of the session):
 *    u64 received       last sequence received in order from the peer
 *    u64 checkpointSeq  last durable checkpoint of the received stream
 *    bytes32 checkpointState [MAX_CHECKPOINT_STATE_BYTES]
 *    u64 replayFrom     lowest sequence this side can still send again (≥ FIRST_SEQ),
 *                       or NO_REPLAY when its replay buffer is gone (e.g. after a restart)
 * </pre>
 *
 * Frame sizes: until a session is established a receiver accepts frames up to {@link
 * #MAX_CONTROL_FRAME_SIZE}; after OPENED/RESUMED, up to the maximum the peers agreed, which lies
 * between {@link #MIN_MAX_FRAME_SIZE} and {@link #MAX_MAX_FRAME_SIZE}.
 */
public final class FrameDescriptor {
  private FrameDescriptor() {}

  /** The protocol version every frame carries. */
  public static final int VERSION = 1;

  // ---- The header every frame starts with.

  /** Where the length field starts. */
  public static final int LENGTH_OFFSET = 0;
  /** Bytes of the length field. */
  public static final int LENGTH_FIELD_BYTES = 4;
  /** Where the version byte is. */
  public static final int VERSION_OFFSET = LENGTH_OFFSET + LENGTH_FIELD_BYTES;
  /** Where the type byte is. */
  public static final int TYPE_OFFSET = VERSION_OFFSET + 1;
  /** Where the body starts. */
  public static final int BODY_OFFSET = TYPE_OFFSET + 1;
  /** Bytes after the length field that every frame has: version and type. */
  public static final int HEADER_BODY_BYTES = BODY_OFFSET - VERSION_OFFSET;
  /** Total fixed header: length + version + type. */
  public static final int HEADER_BYTES = BODY_OFFSET;
  /** The smallest valid length field: a frame with an empty body. */
  public static final int MIN_FRAME_LENGTH = HEADER_BODY_BYTES;

  // ---- DATA: the header, then the sequence number, then the message.

  /** Where a DATA frame's sequence number is. */
  public static final int DATA_SEQ_OFFSET = BODY_OFFSET;
  /** DATA overhead after the fixed header: the sequence number. */
  public static final int DATA_SEQ_BYTES = 8;
  /** Where a DATA frame's payload starts. */
  public static final int DATA_PAYLOAD_OFFSET = DATA_SEQ_OFFSET + DATA_SEQ_BYTES;
  /** Everything of a DATA frame before its payload: what the encoder writes ahead of a message. */
  public static final int DATA_HEADER_BYTES = DATA_PAYLOAD_OFFSET;

  // ---- Limits.

  /** The smallest maximum frame size a peer may announce. */
  public static final int MIN_MAX_FRAME_SIZE = 4 * 1024;
  /** The largest maximum frame size this implementation accepts. */
  public static final int MAX_MAX_FRAME_SIZE = 16 * 1024 * 1024;
  /** Limit for the handshake-phase frames (OPEN, RESUME, HELLO...), whatever maxFrameSize says. */
  public static final int MAX_CONTROL_FRAME_SIZE = 80 * 1024;

  /** A resume token's exact length. */
  public static final int TOKEN_BYTES = 32;
  /** The size of a producer id in OPEN (a durable outbox's identity). */
  public static final int PRODUCER_ID_BYTES = 16;

  /** The longest credentials in OPEN or RESUME. */
  public static final int MAX_CREDENTIALS_BYTES = 4 * 1024;
  /** The longest CLOSE reason; the encoder cuts longer ones. */
  public static final int MAX_REASON_BYTES = 1024;
  /** The longest server name in HELLO. */
  public static final int MAX_SERVER_NAME_BYTES = 256;
  /** The longest session id in RESUME or OPENED (the server issues shorter ones). */
  public static final int MAX_SESSION_ID_BYTES = 128;
  /** The lowest character of a session id: ids are printable ASCII, no space. */
  public static final int SESSION_ID_MIN_CHAR = '!';
  /** The highest character of a session id. */
  public static final int SESSION_ID_MAX_CHAR = '~';
  /** The largest checkpoint state in a StreamState: the store's own limit. */
  public static final int MAX_CHECKPOINT_STATE_BYTES = Checkpoint.MAX_STATE_BYTES;

  /** The sequence number of a stream's first message; {@code replayFrom} is never below it. */
  public static final long FIRST_SEQ = 1;
  /** {@code replayFrom} value meaning "this side cannot replay anything". */
  public static final long NO_REPLAY = Long.MAX_VALUE;

  // ---- Type codes, the byte at TYPE_OFFSET.

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
