package dev.lifeline.internal.protocol;

import static dev.lifeline.internal.protocol.FrameDescriptor.*;

import dev.lifeline.ErrorCode;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Parses one whole frame, as it is on the wire, into a {@link Frame}. It knows no channel and
 * keeps no state: {@link FrameDecoder} finds where each frame begins and ends in the incoming bytes
 * and enforces the size limit, then hands each complete frame here, as Netty's HTTP/2 decoder hands
 * frames to its {@code DefaultHttp2FrameReader}.
 *
 * <p>Every rule about a frame's content is checked here: the version, the type, each field's
 * limit, the token's length, the session id's characters, a consistent stream state, no trailing
 * bytes after a control frame. A frame that breaks one raises a {@link ProtocolException} carrying
 * the error code for the CLOSE frame. Layouts and limits are in {@link FrameDescriptor}.
 *
 * <pre>{@code
 * ByteBuf wire = ...; // a length field, then exactly that many bytes
 * Frame frame = FrameReader.read(wire, 0);
 * }</pre>
 */
final class FrameReader {
  private FrameReader() {}

  /**
   * Reads the frame that {@code frame} holds from its reader index on: the length field, then
   * exactly as many bytes as it says. Consumes all of it. A DATA payload is a retained slice of
   * {@code frame} (nothing is copied) charged {@code memory}, see {@link Frame.Data#memory()}; no
   * other frame keeps a reference to {@code frame}.
   *
   * @throws ProtocolException if the frame breaks a rule of the wire format
   * @throws IllegalArgumentException if {@code frame} does not hold exactly one frame (the
   *     caller's framing is wrong, not the peer's bytes)
   */
  static Frame read(ByteBuf frame, long memory) throws ProtocolException {
    int start = frame.readerIndex();
    long length = wholeFrameLength(frame);
    if (length < MIN_FRAME_LENGTH) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
          "frame length " + length + " (expected: >= " + MIN_FRAME_LENGTH + ")");
    }
    frame.skipBytes(LENGTH_FIELD_BYTES);
    try {
      return readBody(frame, memory);
    } catch (IndexOutOfBoundsException e) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
          "truncated " + typeName(frame.getByte(start + TYPE_OFFSET)) + " frame");
    }
  }

  /** The length field, checked to match what {@code frame} holds. */
  private static long wholeFrameLength(ByteBuf frame) {
    int readable = frame.readableBytes();
    long length = readable < LENGTH_FIELD_BYTES
        ? -1 : frame.getUnsignedInt(frame.readerIndex() + LENGTH_OFFSET);
    if (length != readable - LENGTH_FIELD_BYTES) {
      throw new IllegalArgumentException("frame: " + readable + " bytes, length field " + length
          + " (expected: the length field and exactly that many bytes)");
    }
    return length;
  }

  /** Reads version, type and body; the reader index is at the version byte. */
  private static Frame readBody(ByteBuf f, long memory) throws ProtocolException {
    int version = f.readUnsignedByte();
    if (version != VERSION) {
      throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION,
          "protocol version " + version + " (expected: " + VERSION + ")");
    }
    byte type = f.readByte();
    Frame frame = switch (type) {
      case DATA -> new Frame.Data(f.readLong(), f.readRetainedSlice(f.readableBytes()), memory);
      case ACK -> new Frame.Ack(f.readLong());
      case PING -> new Frame.Ping(f.readLong());
      case PONG -> new Frame.Pong(f.readLong());
      case HELLO -> new Frame.Hello(
          f.readUnsignedShort(), f.readInt(), utf8(f, MAX_SERVER_NAME_BYTES));
      case OPEN -> open(f);
      case RESUME -> new Frame.Resume(
          sessionId(f), token(f), bytes16(f, MAX_CREDENTIALS_BYTES), streamState(f));
      case OPENED -> new Frame.Opened(sessionId(f), token(f));
      case RESUMED -> new Frame.Resumed(token(f), streamState(f));
      case CONFIRM -> new Frame.Confirm();
      case CLOSE -> new Frame.Close(ErrorCode.of(f.readUnsignedShort()),
          utf8(f, MAX_REASON_BYTES));
      default -> throw new ProtocolException(
          ErrorCode.UNKNOWN_FRAME_TYPE, "unknown frame type " + typeName(type));
    };
    if (f.isReadable() && !(frame instanceof Frame.Data)) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
          f.readableBytes() + " trailing bytes in " + typeName(type) + " frame");
    }
    return frame;
  }

  private static Frame.Open open(ByteBuf f) throws ProtocolException {
    int maxFrameSize = f.readInt();
    byte[] credentials = bytes16(f, MAX_CREDENTIALS_BYTES);
    if (!f.isReadable()) {
      return new Frame.Open(maxFrameSize, credentials);
    }
    byte[] producer = bytes16(f, PRODUCER_ID_BYTES);
    long base = f.readLong();
    if (producer.length != PRODUCER_ID_BYTES || base < 0) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "producer of " + producer.length
          + " bytes at base " + base + " (expected: " + PRODUCER_ID_BYTES + " bytes, base >= 0)");
    }
    return new Frame.Open(maxFrameSize, credentials, producer, base);
  }

  private static byte[] bytes16(ByteBuf f, int max) throws ProtocolException {
    int n = f.readUnsignedShort();
    if (n > max) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
          "field of " + n + " bytes (expected: <= " + max + ")");
    }
    byte[] b = new byte[n];
    f.readBytes(b);
    return b;
  }

  private static byte[] token(ByteBuf f) throws ProtocolException {
    byte[] t = bytes16(f, TOKEN_BYTES);
    if (t.length != TOKEN_BYTES) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
          "token of " + t.length + " bytes (expected: " + TOKEN_BYTES + ")");
    }
    return t;
  }

  private static String utf8(ByteBuf f, int max) throws ProtocolException {
    return new String(bytes16(f, max), StandardCharsets.UTF_8);
  }

  private static String sessionId(ByteBuf f) throws ProtocolException {
    byte[] b = bytes16(f, MAX_SESSION_ID_BYTES);
    for (byte c : b) {
      if (c < SESSION_ID_MIN_CHAR || c > SESSION_ID_MAX_CHAR) {
        throw new ProtocolException(
            ErrorCode.PROTOCOL_ERROR, "session id is not printable ASCII");
      }
    }
    return new String(b, StandardCharsets.US_ASCII);
  }

  private static Frame.StreamState streamState(ByteBuf f) throws ProtocolException {
    long received = f.readLong();
    long checkpointSeq = f.readLong();
    long n = f.readUnsignedInt();
    if (n > MAX_CHECKPOINT_STATE_BYTES) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "checkpoint state of " + n
          + " bytes (expected: <= " + MAX_CHECKPOINT_STATE_BYTES + ")");
    }
    byte[] state = new byte[(int) n];
    f.readBytes(state);
    long replayFrom = f.readLong();
    // checkpointSeq may exceed received: a checkpoint that landed after a rewind covers
    // messages the sender has not produced again yet (docs/protocol.md, "A checkpoint and a
    // rewind can cross").
    if (received < 0 || checkpointSeq < 0 || replayFrom < FIRST_SEQ) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "inconsistent stream state received="
          + received + " checkpoint=" + checkpointSeq + " replayFrom=" + replayFrom);
    }
    return new Frame.StreamState(received, checkpointSeq, state, replayFrom);
  }
}
