package dev.lifeline.internal.protocol;

import static dev.lifeline.internal.protocol.FrameDescriptor.LENGTH_FIELD_BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lifeline.testing.RecordingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Feeds arbitrary bytes to a {@link FrameDecoder} in an {@link EmbeddedChannel}, in chunks, with
 * one of the limits the library configures. Whatever the bytes:
 *
 * <ul>
 *   <li>the decoder either produces frames or raises a {@link ProtocolException} (wrapped in
 *       Netty's {@link DecoderException}); any other exception is a finding, and after a
 *       ProtocolException it swallows the rest quietly;
 *   <li>it never holds a frame's worth of bytes beyond the limit, and never asks the allocator
 *       for more than the limit plus one chunk (a {@link RecordingAllocator} sees every request);
 *   <li>every frame it produces is exactly the bytes it consumed: encoding the frame again gives
 *       the same bytes (frames with free-text fields excepted, whose UTF-8 may be repaired);
 *   <li>every buffer it was given or produced is released (reference counts checked directly).
 * </ul>
 *
 * <p>Input layout: byte 0 picks the limit, byte 1 the chunk size, the rest is the wire stream.
 * Normal runs replay the committed inputs under {@code FrameDecoderFuzzTestInputs/decode}; {@code
 * -Pfuzz} fuzzes (see docs/security.md).
 */
class FrameDecoderFuzzTest {

  static {
    // Fuzzing runs thousands of inputs a second; one INFO line each would be most of the cost.
    if (System.getenv("JAZZER_FUZZ") != null) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.lifeline"))
          .setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }
  private static final int[] LIMITS = {
    FrameDescriptor.MIN_MAX_FRAME_SIZE,
    FrameDescriptor.MAX_CONTROL_FRAME_SIZE,
    64 * 1024 + FrameDescriptor.dataFrameLength(0),
    1024 * 1024,
  };

  @FuzzTest
  void decode(byte[] input) {
    if (input.length < 2) {
      return;
    }
    int limit = LIMITS[(input[0] & 0xff) % LIMITS.length];
    int chunk = 1 + (input[1] & 0xff) * 64;
    byte[] wire = Arrays.copyOfRange(input, 2, input.length);
    List<int[]> boundaries = frameBoundaries(wire);

    RecordingAllocator alloc = new RecordingAllocator();
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast(new FrameDecoder(limit));
    List<ByteBuf> given = new ArrayList<>();
    List<Frame.Data> produced = new ArrayList<>();
    boolean failed = false;
    int fed = 0;
    int consumed = 0;
    int frames = 0;
    try {
      while (fed < wire.length) {
        int n = Math.min(chunk, wire.length - fed);
        ByteBuf b = Unpooled.copiedBuffer(wire, fed, n);
        given.add(b);
        fed += n;
        try {
          ch.writeInbound(b);
        } catch (DecoderException e) {
          if (!(e.getCause() instanceof ProtocolException) || failed) {
            throw e;
          }
          failed = true;
        }
        for (Object o; (o = ch.readInbound()) != null; ) {
          Frame f = (Frame) o;
          if (f instanceof Frame.Data d) {
            produced.add(d);
          }
          int[] at = boundaries.get(frames++);
          assertEncodesTo(f, wire, at[0], at[1]);
          consumed = at[0] + at[1];
        }
        if (!failed) {
          int pending = fed - consumed;
          assertTrue(pending < LENGTH_FIELD_BYTES + limit,
              pending + " bytes held with limit " + limit);
        }
        long bound = 2 * (LENGTH_FIELD_BYTES + (long) limit + chunk);
        assertTrue(alloc.largest() <= bound, "asked the allocator for " + alloc.largest()
            + " bytes with limit " + limit + " and chunks of " + chunk);
        long held = ch.pipeline().get(FrameDecoder.class).heldCapacity();
        assertTrue(held <= bound, "holds buffers of " + held + " bytes with limit " + limit
            + " and chunks of " + chunk);
      }
    } finally {
      ch.finishAndReleaseAll();
      produced.forEach(Frame.Data::release);
    }
    for (ByteBuf b : given) {
      assertEquals(0, b.refCnt(), "input buffer not released");
    }
    for (Frame.Data d : produced) {
      assertEquals(0, d.payload().refCnt(), "DATA payload not released");
    }
  }

  /** Where each complete frame of {@code wire} starts and how long it is, length field included. */
  private static List<int[]> frameBoundaries(byte[] wire) {
    List<int[]> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(wire);
    int pos = 0;
    while (wire.length - pos >= LENGTH_FIELD_BYTES) {
      long length = Integer.toUnsignedLong(b.getInt(pos));
      if (wire.length - pos - LENGTH_FIELD_BYTES < length) {
        break;
      }
      out.add(new int[] {pos, LENGTH_FIELD_BYTES + (int) length});
      pos += LENGTH_FIELD_BYTES + (int) length;
    }
    return out;
  }

  private static void assertEncodesTo(Frame f, byte[] wire, int from, int length) {
    byte[] expected = Arrays.copyOfRange(wire, from, from + length);
    if (f instanceof Frame.Data d) {
      ByteBuf header = Unpooled.buffer(FrameDescriptor.HEADER_BYTES + FrameDescriptor.DATA_SEQ_BYTES)
          .writeInt(FrameDescriptor.dataFrameLength(d.payload().readableBytes()))
          .writeByte(FrameDescriptor.VERSION).writeByte(FrameDescriptor.DATA).writeLong(d.seq());
      ByteBuf both = Unpooled.wrappedBuffer(header, d.payload().retainedDuplicate());
      try {
        assertArrayEquals(expected, ByteBufUtil.getBytes(both), "DATA re-encodes differently");
      } finally {
        both.release();
      }
      return;
    }
    if (hasRepairedText(f)) {
      return;
    }
    ByteBuf again = FrameEncoder.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, f);
    try {
      assertArrayEquals(expected, ByteBufUtil.getBytes(again), f + " re-encodes differently");
    } finally {
      again.release();
    }
  }

  /** Free text decoded from invalid UTF-8, or a CLOSE code this side does not know. */
  private static boolean hasRepairedText(Frame f) {
    if (f instanceof Frame.Hello h) {
      return !roundTripsUtf8(h.serverName());
    }
    if (f instanceof Frame.Close) {
      return true; // reason text may be repaired and unknown codes map to one value
    }
    return false;
  }

  private static boolean roundTripsUtf8(String s) {
    return StandardCharsets.UTF_8.newEncoder().canEncode(s)
        && !s.contains("\uFFFD");
  }
}
