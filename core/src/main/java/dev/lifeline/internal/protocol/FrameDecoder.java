package dev.lifeline.internal.protocol;

import static dev.lifeline.internal.protocol.FrameDescriptor.*;

import dev.lifeline.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;

/**
 * Turns bytes into {@link Frame}s: finds where each frame begins and ends in the incoming pieces,
 * holds what is needed until a frame is complete, and hands the complete frame to {@link
 * FrameReader}, which parses it; this class only accumulates, limits and passes frames along.
 *
 * <p>The length is checked against the current limit before the frame is accumulated, so a peer
 * cannot make this side buffer more than {@code maxFrameSize} bytes. Until the session is
 * established only control frames up to {@link FrameDescriptor#MAX_CONTROL_FRAME_SIZE} are
 * accepted.
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

  /** First capacity of the buffer for copied parts of a large frame: one part is usually small. */
  private static final int COPIED_INITIAL_BYTES = 1024;

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
        long memory = typeAt(in) == DATA ? chargePiece(in) : 0;
        emit(ctx, read(in.readSlice(LENGTH_FIELD_BYTES + (int) length), memory));
        return;
      }
      if (readable >= HEADER_BYTES && isLargeData(length, typeAt(in))) {
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
    } else if (isLargeData(length, typeAt(partial))) {
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
      int initial = Math.min(missing, Math.max(take, COPIED_INITIAL_BYTES));
      copied = ctx.alloc().directBuffer(initial, missing);
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
    long length = b.getUnsignedInt(b.readerIndex() + LENGTH_OFFSET);
    if (length < MIN_FRAME_LENGTH) {
      throw fail(ErrorCode.PROTOCOL_ERROR,
          "frame length " + length + " (expected: >= " + MIN_FRAME_LENGTH + ")");
    }
    if (length > maxFrameSize) {
      throw fail(ErrorCode.FRAME_TOO_LARGE,
          "frame length " + length + " (expected: <= " + maxFrameSize + ")");
    }
    return length;
  }

  /** The type byte of the frame at {@code b}'s reader index (its header is there). */
  private static byte typeAt(ByteBuf b) {
    return b.getByte(b.readerIndex() + TYPE_OFFSET);
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
      f = read(frame, memory);
    } finally {
      frame.release();
    }
    emit(ctx, f);
  }

  /** {@link FrameReader#read}; a frame it refuses ends decoding like any other failure. */
  private Frame read(ByteBuf frame, long memory) throws ProtocolException {
    try {
      return FrameReader.read(frame, memory);
    } catch (ProtocolException e) {
      throw fail(e);
    }
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
    return fail(new ProtocolException(code, message));
  }

  /** Marks decoding failed (the connection is closing) and lets go of what was held. */
  private ProtocolException fail(ProtocolException e) {
    failed = true;
    releaseHeld();
    return e;
  }
}
