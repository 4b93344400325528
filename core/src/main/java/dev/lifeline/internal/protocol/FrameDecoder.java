package dev.lifeline.internal.protocol;

import static dev.lifeline.internal.protocol.FrameDescriptor.*;

import dev.lifeline.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;

/**
 * Turns bytes into {@link Frame}s. The length is checked against the current limit before the
 * frame is accumulated, so a peer cannot make this side buffer more than {@code maxFrameSize}
 * bytes. Until the session is established only control frames up to {@link
 * FrameDescriptor#MAX_CONTROL_FRAME_SIZE} are accepted.
 *
 * <p>Any malformed input raises a {@link ProtocolException} (wrapped in Netty's {@link
 * DecoderException}) carrying the error code for the CLOSE frame; after that the decoder releases
 * what it held and discards everything (the connection is being closed).
 *
 * <p>Frames are handed on one at a time, each before the next frame's length is checked, so a
 * handler that raises the limit (after OPENED/RESUMED) does so before the next frame is checked.
 *
 * <h2>Where the bytes go (the receive path on the I/O thread)</h2>
 *
 * The input is the decrypted output of TLS, in pieces of up to a few TLS records each.
 *
 * <ul>
 *   <li>A frame wholly inside one piece is parsed in place: a DATA payload is a retained slice of
 *       the piece, nothing is copied.
 *   <li>A large DATA frame ({@link #LARGE_FRAME_BYTES} or more) spread over several pieces is
 *       assembled without copying: its payload becomes a {@link CompositeByteBuf} of retained
 *       slices of the pieces. Only parts of pieces too small to be worth keeping (under {@link
 *       #MIN_KEPT_BYTES}) are copied, into a buffer of the frame's own. The composite holds
 *       exactly this frame's bytes: the next frame starts a new one.
 *   <li>Any other frame spread over several pieces (control frames, small messages) is copied
 *       into a buffer of its exact size, allocated once its length is known.
 * </ul>
 *
 * The receiver of a large DATA frame gets its payload in pieces ({@code
 * ByteBuf#nioBuffers()}); see {@code SessionCore} for how they reach the application.
 *
 * <h2>What a DATA frame is charged for ({@link Frame.Data#memory()})</h2>
 *
 * A slice keeps its whole piece alive, and a piece is as large as one socket read (up to 1 MiB),
 * whatever part of it the frame uses: one byte of payload can hold a megabyte. So the receiver's
 * inbound queue does not count payload bytes but memory: each piece is charged, with its full
 * capacity, to the first DATA frame that keeps a slice of it, and a copied frame is charged its
 * own buffer. Frames are delivered in order and the pieces they keep follow one another in the
 * stream, so what queued frames keep alive is at most what they were charged plus one piece (the
 * one shared with the last frame delivered) — however the peer sizes its TLS records or mixes
 * small messages with other frames.
 */
public final class FrameDecoder extends ChannelInboundHandlerAdapter {

  /** DATA frames at least this long are assembled from the input pieces instead of copied. */
  static final int LARGE_FRAME_BYTES = 64 * 1024;

  /** Parts of a piece shorter than this are copied into a large frame, not kept as slices. */
  static final int MIN_KEPT_BYTES = 4 * 1024;

  private final int largeFrameBytes;
  private final int minKeptBytes;
  private int maxFrameSize;
  private boolean failed;
  private boolean inactive;

  // At most one of partial and large is set: the frame being accumulated.
  /**
   * The start of a frame that did not fit in its piece: a {@link #HEADER_BYTES} buffer until the
   * header is complete, then one of the frame's exact size.
   */
  private ByteBuf partial;
  /** A large DATA frame being assembled (from its length field on), with {@link #missing}. */
  private CompositeByteBuf large;
  /** Bytes {@link #large} still lacks. */
  private int missing;
  /** Memory charged so far to the frame being assembled (see the class comment). */
  private long charge;
  /** Counts the pieces (reads) that came in, and which of them was last charged to a frame. */
  private long piece;
  private long chargedPiece = -1;
  /** Copied small parts of pieces for {@link #large}, added to it before the next kept slice. */
  private ByteBuf copied;

  // For channelReadComplete: whether bytes came in, and whether a frame went out, since the last.
  private boolean readBytes;
  private boolean firedFrame;

  public FrameDecoder(int maxFrameSize) {
    this(maxFrameSize, LARGE_FRAME_BYTES, MIN_KEPT_BYTES);
  }

  /** With other thresholds, so that tests can reach every path with small frames. */
  FrameDecoder(int maxFrameSize, int largeFrameBytes, int minKeptBytes) {
    this.maxFrameSize = maxFrameSize;
    this.largeFrameBytes = largeFrameBytes;
    this.minKeptBytes = minKeptBytes;
  }

  /** Raises or lowers the limit for frames not yet started. */
  public void maxFrameSize(int maxFrameSize) {
    this.maxFrameSize = maxFrameSize;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    readBytes = true;
    piece++;
    try {
      while (in.isReadable() && !failed && !inactive && !ctx.isRemoved()) {
        decodeSome(ctx, in);
      }
    } catch (ProtocolException e) {
      throw new DecoderException(e);
    } finally {
      in.release();
    }
  }

  /** Consumes some of {@code in}: the rest of the frame being accumulated, or one new frame. */
  private void decodeSome(ChannelHandlerContext ctx, ByteBuf in) throws ProtocolException {
    if (large != null) {
      int take = Math.min(missing, in.readableBytes());
      appendToLarge(ctx, in, take);
      missing -= take;
      if (missing == 0) {
        flushCopied();
        ByteBuf frame = large;
        large = null;
        emitOwned(ctx, frame, charge);
      }
      return;
    }
    if (partial != null) {
      fillPartial(ctx, in);
      return;
    }
    int readable = in.readableBytes();
    if (readable >= LENGTH_FIELD_BYTES) {
      long length = checkedLength(in);
      if (readable >= LENGTH_FIELD_BYTES + length) {
        // The whole frame is in this piece: parsed in place, a DATA payload is a slice of it.
        long memory = in.getByte(in.readerIndex() + 5) == DATA ? chargePiece(in) : 0;
        in.skipBytes(LENGTH_FIELD_BYTES);
        Frame frame = parse(in.readSlice((int) length), memory);
        emit(ctx, frame);
        return;
      }
      if (readable >= HEADER_BYTES && isLargeData(length, in.getByte(in.readerIndex() + 5))) {
        startLarge(ctx, length);
        return;
      }
      if (readable >= HEADER_BYTES) {
        partial = ctx.alloc().buffer(LENGTH_FIELD_BYTES + (int) length);
        partial.writeBytes(in, readable);
        return;
      }
    }
    partial = ctx.alloc().buffer(HEADER_BYTES);
    partial.writeBytes(in, readable);
  }

  /** Adds to {@link #partial} from {@code in}; emits the frame, or moves it on, when it can. */
  private void fillPartial(ChannelHandlerContext ctx, ByteBuf in) throws ProtocolException {
    boolean lengthKnown = partial.readableBytes() >= LENGTH_FIELD_BYTES;
    partial.writeBytes(in, Math.min(partial.writableBytes(), in.readableBytes()));
    if (partial.readableBytes() < LENGTH_FIELD_BYTES) {
      return;
    }
    // Checked once, when it becomes known: a limit changed meanwhile is for later frames.
    long length = lengthKnown
        ? partial.getUnsignedInt(partial.readerIndex()) : checkedLength(partial);
    if (partial.isWritable()) {
      return; // in is used up
    }
    int total = LENGTH_FIELD_BYTES + (int) length;
    if (partial.readableBytes() == total) {
      ByteBuf frame = partial;
      partial = null;
      emitOwned(ctx, frame, frame.capacity());
    } else if (isLargeData(length, partial.getByte(partial.readerIndex() + 5))) {
      ByteBuf header = partial;
      partial = null;
      startLarge(ctx, length);
      large.addComponent(true, header);
      charge += header.capacity();
      missing -= header.readableBytes();
    } else {
      // The header is complete: now a buffer for the whole frame.
      ByteBuf whole = ctx.alloc().buffer(total);
      whole.writeBytes(partial);
      partial.release();
      partial = whole;
    }
  }

  private void startLarge(ChannelHandlerContext ctx, long length) {
    large = ctx.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
    missing = LENGTH_FIELD_BYTES + (int) length;
    charge = 0;
  }

  /**
   * Moves {@code take} bytes of {@code in} into {@link #large}: as a retained slice if the part is
   * large enough to be worth a copy saved, otherwise copied.
   */
  private void appendToLarge(ChannelHandlerContext ctx, ByteBuf in, int take) {
    if (take >= minKeptBytes) {
      charge += chargePiece(in);
      flushCopied();
      large.addComponent(true, in.readRetainedSlice(take));
      return;
    }
    if (copied != null && copied.maxWritableBytes() < take) {
      flushCopied();
    }
    if (copied == null) {
      // Grows as needed (never beyond what the frame still lacks); small parts are rare.
      copied = ctx.alloc().directBuffer(Math.min(missing, Math.max(take, 1024)), missing);
    }
    copied.writeBytes(in, take);
  }

  private void flushCopied() {
    if (copied != null) {
      ByteBuf c = copied;
      copied = null;
      charge += c.capacity();
      large.addComponent(true, c);
    }
  }

  /** The capacity of the piece {@code in} if no frame was charged for it yet, else 0. */
  private long chargePiece(ByteBuf in) {
    if (chargedPiece == piece) {
      return 0;
    }
    chargedPiece = piece;
    return in.capacity();
  }

  /** The validated length field at {@code b}'s reader index (4 bytes there at least). */
  private long checkedLength(ByteBuf b) throws ProtocolException {
    long length = b.getUnsignedInt(b.readerIndex());
    if (length < HEADER_BODY_BYTES) {
      throw fail(ErrorCode.PROTOCOL_ERROR, "frame length " + length + " (expected: >= 2)");
    }
    if (length > maxFrameSize) {
      throw fail(ErrorCode.FRAME_TOO_LARGE,
          "frame length " + length + " (expected: <= " + maxFrameSize + ")");
    }
    return length;
  }

  private boolean isLargeData(long length, byte type) {
    return length >= largeFrameBytes && type == DATA;
  }

  /**
   * Parses and hands on the complete frame {@code frame} (length field first), releasing it;
   * {@code memory} is what a DATA frame is charged for.
   */
  private void emitOwned(ChannelHandlerContext ctx, ByteBuf frame, long memory)
      throws ProtocolException {
    Frame f;
    try {
      frame.skipBytes(LENGTH_FIELD_BYTES);
      f = parse(frame, memory);
    } finally {
      frame.release();
    }
    emit(ctx, f);
  }

  private void emit(ChannelHandlerContext ctx, Frame frame) {
    firedFrame = true;
    ctx.fireChannelRead(frame);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // As Netty's ByteToMessageDecoder: input that made no frame asks for more even when reading
    // is manual, or a frame could wait forever for its own end.
    if (readBytes && !firedFrame && !ctx.channel().config().isAutoRead()) {
      ctx.read();
    }
    readBytes = false;
    firedFrame = false;
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // A frame cut off by the end of the connection is dropped.
    inactive = true;
    releaseHeld();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseHeld();
  }

  private void releaseHeld() {
    if (partial != null) {
      partial.release();
      partial = null;
    }
    if (copied != null) {
      copied.release();
      copied = null;
    }
    if (large != null) {
      large.release();
      large = null;
    }
  }

  /**
   * Capacity of the buffers held for a frame not yet complete (for tests: input beyond a frame
   * must never be accumulated).
   */
  long heldCapacity() {
    return (partial == null ? 0 : partial.capacity()) + (large == null ? 0 : large.capacity())
        + (copied == null ? 0 : copied.capacity());
  }

  private ProtocolException fail(ErrorCode code, String message) {
    failed = true;
    releaseHeld();
    return new ProtocolException(code, message);
  }

  /**
   * Parses one frame's body (after the length field); a DATA payload is a retained slice, charged
   * {@code memory}.
   */
  private Frame parse(ByteBuf f, long memory) throws ProtocolException {
    int start = f.readerIndex();
    try {
      return parseBody(f, memory);
    } catch (IndexOutOfBoundsException e) {
      throw fail(ErrorCode.PROTOCOL_ERROR,
          "truncated " + typeName(f.getByte(start + 1)) + " frame");
    }
  }

  private Frame parseBody(ByteBuf f, long memory) throws ProtocolException {
    int version = f.readUnsignedByte();
    if (version != VERSION) {
      throw fail(ErrorCode.UNSUPPORTED_VERSION,
          "protocol version " + version + " (expected: " + VERSION + ")");
    }
    byte type = f.readByte();
    Frame frame = switch (type) {
      case DATA -> new Frame.Data(f.readLong(), f.readRetainedSlice(f.readableBytes()), memory);
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
