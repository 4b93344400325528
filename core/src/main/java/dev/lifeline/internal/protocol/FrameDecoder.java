package dev.lifeline.internal.protocol;

import static dev.lifeline.internal.protocol.FrameDescriptor.*;

import dev.lifeline.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns bytes into {@link Frame}s. The length is checked against the current limit before the
 * frame is accumulated, so a peer cannot make this side buffer more than {@code maxFrameSize}
 * bytes. Until the session is established only control frames up to {@link
 * FrameDescriptor#MAX_CONTROL_FRAME_SIZE} are accepted.
 *
 * <p>Any malformed input raises a {@link ProtocolException} carrying the error code for the CLOSE
 * frame; after that the decoder discards everything (the connection is being closed).
 *
 * <p>Accumulation is sized by the frame: once the length field of the frame being assembled is
 * known, the buffer that collects it is allocated at the frame's full size (plus one more piece of
 * input), so a large DATA frame arriving in many TLS records is copied once (from each decrypted
 * record into place) instead of into a buffer that doubles and is copied again at each doubling.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

  /** Frames at least this large are assembled in pooled direct memory. */
  private static final int LARGE_FRAME_BYTES = 64 * 1024;

  private int maxFrameSize;
  private boolean failed;

  public FrameDecoder(int maxFrameSize) {
    this.maxFrameSize = maxFrameSize;
    setCumulator(this::cumulate);
  }

  /**
   * Appends {@code in} to {@code cumulation}, taking ownership of both. Writes in place when the
   * cumulation is ours alone and has room; otherwise moves to a new buffer large enough for the
   * whole frame being assembled (never for more than the frame limit allows).
   */
  private ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
    if (cumulation == in) {
      in.release();
      return cumulation;
    }
    if (!cumulation.isReadable() && in.isContiguous()) {
      cumulation.release();
      return in;
    }
    try {
      int add = in.readableBytes();
      if (add <= cumulation.writableBytes() && cumulation.refCnt() == 1
          && !cumulation.isReadOnly()) {
        cumulation.writeBytes(in, in.readerIndex(), add);
        return cumulation;
      }
      int held = cumulation.readableBytes();
      long wanted = (long) held + add;
      if (held >= LENGTH_FIELD_BYTES) {
        long frame = LENGTH_FIELD_BYTES + cumulation.getUnsignedInt(cumulation.readerIndex());
        if (frame <= LENGTH_FIELD_BYTES + (long) maxFrameSize) {
          // Room for one more piece like this one beyond the frame: the piece that completes it
          // usually carries the next frame's first bytes too, and must not force another copy.
          wanted = Math.max(wanted, frame + add);
        }
      }
      int capacity = (int) Math.min(wanted, Integer.MAX_VALUE - 8);
      // Frame-sized buffers of large messages come from a pooled arena: the channel's adaptive
      // allocator does not pool sizes like these and would map and zero fresh memory each time.
      ByteBuf bigger = capacity >= LARGE_FRAME_BYTES
          ? PooledByteBufAllocator.DEFAULT.directBuffer(capacity) : alloc.buffer(capacity);
      bigger.writeBytes(cumulation, cumulation.readerIndex(), held);
      bigger.writeBytes(in, in.readerIndex(), add);
      cumulation.release();
      return bigger;
    } finally {
      in.release();
    }
  }

  /** Raises or lowers the limit for frames not yet started. */
  public void maxFrameSize(int maxFrameSize) {
    this.maxFrameSize = maxFrameSize;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out)
      throws ProtocolException {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    // One frame per call: ByteToMessageDecoder hands it on before the next call, so a handler
    // that raises the limit (after OPENED/RESUMED) does so before the next frame is checked.
    if (in.readableBytes() >= LENGTH_FIELD_BYTES) {
      int start = in.readerIndex();
      long length = in.getUnsignedInt(start);
      if (length < HEADER_BODY_BYTES) {
        throw fail(ErrorCode.PROTOCOL_ERROR, "frame length " + length + " (expected: >= 2)");
      }
      if (length > maxFrameSize) {
        throw fail(ErrorCode.FRAME_TOO_LARGE,
            "frame length " + length + " (expected: <= " + maxFrameSize + ")");
      }
      if (in.readableBytes() < LENGTH_FIELD_BYTES + length) {
        return;
      }
      in.skipBytes(LENGTH_FIELD_BYTES);
      ByteBuf frame = in.readSlice((int) length);
      try {
        out.add(parse(frame));
      } catch (IndexOutOfBoundsException e) {
        throw fail(ErrorCode.PROTOCOL_ERROR, "truncated " + typeName(frame.getByte(1)) + " frame");
      }
    }
  }

  private ProtocolException fail(ErrorCode code, String message) {
    failed = true;
    return new ProtocolException(code, message);
  }

  private Frame parse(ByteBuf f) throws ProtocolException {
    int version = f.readUnsignedByte();
    if (version != VERSION) {
      throw fail(ErrorCode.UNSUPPORTED_VERSION,
          "protocol version " + version + " (expected: " + VERSION + ")");
    }
    byte type = f.readByte();
    Frame frame = switch (type) {
      case DATA -> new Frame.Data(f.readLong(), f.readRetainedSlice(f.readableBytes()));
      case ACK -> new Frame.Ack(f.readLong());
      case PING -> new Frame.Ping(f.readLong());
      case PONG -> new Frame.Pong(f.readLong());
      case HELLO -> new Frame.Hello(f.readUnsignedShort(), f.readInt(), string(f, 256));
      case OPEN -> new Frame.Open(f.readInt(), bytes16(f, MAX_CREDENTIALS_BYTES));
      case RESUME -> new Frame.Resume(
          ascii(f, 128), token(f), bytes16(f, MAX_CREDENTIALS_BYTES), streamState(f));
      case OPENED -> new Frame.Opened(ascii(f, 128), token(f));
      case RESUMED -> new Frame.Resumed(token(f), streamState(f));
      case CONFIRM -> new Frame.Confirm();
      case CLOSE -> new Frame.Close(ErrorCode.of(f.readUnsignedShort()),
          string(f, MAX_REASON_BYTES));
      default -> throw fail(ErrorCode.UNKNOWN_FRAME_TYPE, "unknown frame type " + typeName(type));
    };
    if (f.isReadable() && !(frame instanceof Frame.Data)) {
      throw fail(ErrorCode.PROTOCOL_ERROR,
          f.readableBytes() + " trailing bytes in " + typeName(type) + " frame");
    }
    return frame;
  }

  private byte[] bytes16(ByteBuf f, int max) throws ProtocolException {
    int n = f.readUnsignedShort();
    if (n > max) {
      throw fail(ErrorCode.PROTOCOL_ERROR, "field of " + n + " bytes (expected: <= " + max + ")");
    }
    byte[] b = new byte[n];
    f.readBytes(b);
    return b;
  }

  private byte[] token(ByteBuf f) throws ProtocolException {
    byte[] t = bytes16(f, TOKEN_BYTES);
    if (t.length != TOKEN_BYTES) {
      throw fail(ErrorCode.PROTOCOL_ERROR,
          "token of " + t.length + " bytes (expected: " + TOKEN_BYTES + ")");
    }
    return t;
  }

  private String string(ByteBuf f, int max) throws ProtocolException {
    return new String(bytes16(f, max), StandardCharsets.UTF_8);
  }

  private String ascii(ByteBuf f, int max) throws ProtocolException {
    byte[] b = bytes16(f, max);
    for (byte c : b) {
      if (c < 0x21 || c > 0x7e) {
        throw fail(ErrorCode.PROTOCOL_ERROR, "session id is not printable ASCII");
      }
    }
    return new String(b, StandardCharsets.US_ASCII);
  }

  private Frame.StreamState streamState(ByteBuf f) throws ProtocolException {
    long received = f.readLong();
    long checkpointSeq = f.readLong();
    long n = f.readUnsignedInt();
    if (n > dev.lifeline.store.Checkpoint.MAX_STATE_BYTES) {
      throw fail(ErrorCode.PROTOCOL_ERROR, "checkpoint state of " + n + " bytes (expected: <= "
          + dev.lifeline.store.Checkpoint.MAX_STATE_BYTES + ")");
    }
    byte[] state = new byte[(int) n];
    f.readBytes(state);
    long replayFrom = f.readLong();
    if (received < 0 || checkpointSeq < 0 || checkpointSeq > received || replayFrom < 1) {
      throw fail(ErrorCode.PROTOCOL_ERROR, "inconsistent stream state received=" + received
          + " checkpoint=" + checkpointSeq + " replayFrom=" + replayFrom);
    }
    return new Frame.StreamState(received, checkpointSeq, state, replayFrom);
  }
}
