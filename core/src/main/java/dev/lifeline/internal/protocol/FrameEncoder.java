package dev.lifeline.internal.protocol;

import static dev.lifeline.internal.protocol.FrameDescriptor.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns {@link Frame}s into bytes, laid out as {@link FrameDescriptor} says. A DATA frame is
 * written as its {@link FrameDescriptor#DATA_HEADER_BYTES}-byte header followed by the payload
 * buffer itself, so message bytes are never copied here (TLS encryption is the one copy).
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends ChannelOutboundHandlerAdapter {

  public static final FrameEncoder INSTANCE = new FrameEncoder();

  /** First capacity of a control frame's buffer: most fit, the rest grow once or twice. */
  private static final int CONTROL_FRAME_INITIAL_BYTES = 64;

  private FrameEncoder() {}

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof Frame.Data data) {
      ByteBuf header = ctx.alloc().buffer(DATA_HEADER_BYTES);
      header.writeInt(dataFrameLength(data.payload().readableBytes()))
          .writeByte(VERSION).writeByte(DATA).writeLong(data.seq());
      ByteBuf payload = data.payload().retainedDuplicate();
      data.release();
      ctx.write(header, ctx.voidPromise());
      ctx.write(payload, promise);
    } else if (msg instanceof Frame frame) {
      ctx.write(encode(ctx.alloc(), frame), promise);
    } else {
      ctx.write(msg, promise);
    }
  }

  /** Encodes a control frame into a new buffer (public for tests and the fuzzers). */
  public static ByteBuf encode(ByteBufAllocator alloc, Frame frame) {
    if (frame instanceof Frame.Data) {
      throw new IllegalArgumentException("DATA frames are streamed, not encoded: " + frame);
    }
    ByteBuf b = alloc.buffer(CONTROL_FRAME_INITIAL_BYTES);
    b.writeInt(0).writeByte(VERSION).writeByte(frame.type()); // length set once the body is in
    writeBody(b, frame);
    b.setInt(LENGTH_OFFSET, b.writerIndex() - LENGTH_FIELD_BYTES);
    return b;
  }

  /** A control frame's body; CONFIRM has none. */
  private static void writeBody(ByteBuf b, Frame frame) {
    if (frame instanceof Frame.Hello h) {
      b.writeShort(h.protocolVersion()).writeInt(h.maxFrameSize());
      bytes16(b, h.serverName().getBytes(StandardCharsets.UTF_8));
    } else if (frame instanceof Frame.Open o) {
      b.writeInt(o.maxFrameSize());
      bytes16(b, o.credentials());
      if (o.producerId().length > 0) {
        bytes16(b, o.producerId());
        b.writeLong(o.producerBase());
      }
    } else if (frame instanceof Frame.Resume r) {
      bytes16(b, r.sessionId().getBytes(StandardCharsets.US_ASCII));
      bytes16(b, r.token());
      bytes16(b, r.credentials());
      streamState(b, r.state());
    } else if (frame instanceof Frame.Opened o) {
      bytes16(b, o.sessionId().getBytes(StandardCharsets.US_ASCII));
      bytes16(b, o.token());
    } else if (frame instanceof Frame.Resumed r) {
      bytes16(b, r.newToken());
      streamState(b, r.state());
    } else if (frame instanceof Frame.Ack a) {
      b.writeLong(a.seq());
    } else if (frame instanceof Frame.Ping p) {
      b.writeLong(p.opaque());
    } else if (frame instanceof Frame.Pong p) {
      b.writeLong(p.opaque());
    } else if (frame instanceof Frame.Close c) {
      b.writeShort(c.code().code());
      byte[] reason = c.reason().getBytes(StandardCharsets.UTF_8);
      bytes16(b, reason.length > MAX_REASON_BYTES
          ? Arrays.copyOf(reason, MAX_REASON_BYTES) : reason);
    }
  }

  private static void bytes16(ByteBuf b, byte[] bytes) {
    b.writeShort(bytes.length).writeBytes(bytes);
  }

  private static void streamState(ByteBuf b, Frame.StreamState s) {
    b.writeLong(s.received()).writeLong(s.checkpointSeq())
        .writeInt(s.checkpointState().length).writeBytes(s.checkpointState())
        .writeLong(s.replayFrom());
  }
}
