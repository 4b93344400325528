package dev.lifeline.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import dev.lifeline.testing.RecordingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@link FrameDecoder} fed the way TLS feeds it: in pieces cut anywhere. Large DATA frames are
 * assembled from slices of the pieces (not copied), small parts of pieces are copied, every DATA
 * frame is charged the memory it keeps alive, and whatever the cuts, the frames are the same
 * and every piece is released once the frames are (Netty's paranoid leak detector, on in tests,
 * fails the class otherwise: {@code LeakCheck}).
 */
class FrameDecoderPiecesTest {

  private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true, true);

  /** A DATA frame's bytes; {@code fill} gives byte i of the payload. */
  private static byte[] data(long seq, int size, IntUnaryOperator fill) {
    ByteBuf b = Unpooled.buffer();
    b.writeInt(FrameDescriptor.dataFrameLength(size)).writeByte(FrameDescriptor.VERSION)
        .writeByte(FrameDescriptor.DATA).writeLong(seq);
    for (int i = 0; i < size; i++) {
      b.writeByte(fill.applyAsInt(i));
    }
    byte[] bytes = ByteBufUtil.getBytes(b);
    b.release();
    return bytes;
  }

  private static byte[] data(long seq, int size) {
    return data(seq, size, i -> (int) (i * 31 + seq));
  }

  private static byte[] control(Frame f) {
    ByteBuf b = FrameEncoder.encode(UnpooledByteBufAllocator.DEFAULT, f);
    byte[] bytes = ByteBufUtil.getBytes(b);
    b.release();
    return bytes;
  }

  private static byte[] concat(byte[]... parts) {
    ByteBuf all = Unpooled.buffer();
    for (byte[] p : parts) {
      all.writeBytes(p);
    }
    byte[] bytes = ByteBufUtil.getBytes(all);
    all.release();
    return bytes;
  }

  /** One line per frame: type, sequence or value, and for DATA the payload's length and hash. */
  private static String describe(Frame f) {
    if (f instanceof Frame.Data d) {
      return "Data " + d.seq() + " " + d.payload().readableBytes() + "B #"
          + Arrays.hashCode(ByteBufUtil.getBytes(d.payload()));
    } else if (f instanceof Frame.Ack a) {
      return "Ack " + a.seq();
    } else if (f instanceof Frame.Ping p) {
      return "Ping " + p.opaque();
    } else if (f instanceof Frame.Close c) {
      return "Close " + c.code() + " " + c.reason();
    }
    return f.getClass().getSimpleName();
  }

  /** What the decoder made of one feeding. */
  private record Outcome(List<String> frames, int maxComponents, ProtocolException failure) {}

  /**
   * Feeds {@code stream} cut at {@code cuts} (ascending offsets), each piece in a direct buffer
   * of exactly its size, as TLS hands them on; checks that every piece is released once the
   * frames are and that the decoder holds nothing at the end.
   */
  private static Outcome feed(FrameDecoder decoder, byte[] stream, int... cuts) {
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    List<ByteBuf> pieces = new ArrayList<>();
    List<String> frames = new ArrayList<>();
    int maxComponents = 0;
    ProtocolException failure = null;
    try {
      int from = 0;
      for (int i = 0; i <= cuts.length; i++) {
        int to = i < cuts.length ? cuts[i] : stream.length;
        if (to == from) {
          continue;
        }
        ByteBuf piece = ALLOC.directBuffer(to - from, to - from).writeBytes(stream, from, to - from);
        pieces.add(piece);
        from = to;
        try {
          ch.writeInbound(piece);
        } catch (DecoderException e) {
          assertNull(failure, "only one failure");
          failure = assertInstanceOf(ProtocolException.class, e.getCause());
        }
        for (Object o; (o = ch.readInbound()) != null; ) {
          Frame f = (Frame) o;
          frames.add(describe(f));
          if (f instanceof Frame.Data d) {
            maxComponents = Math.max(maxComponents, d.payload().nioBufferCount());
            d.release();
          }
        }
      }
      assertEquals(0, decoder.heldCapacity(), "holds nothing once the input ended on a frame");
    } finally {
      ch.finishAndReleaseAll();
    }
    for (ByteBuf p : pieces) {
      assertEquals(0, p.refCnt(), "a piece was not released");
    }
    return new Outcome(frames, maxComponents, failure);
  }

  /**
   * Writes {@code stream} into {@code ch} {@code part} bytes at a time, each part in a buffer of
   * {@code capacity} bytes (added to {@code pieces}); runs {@code check} after each.
   */
  private static void feedInParts(EmbeddedChannel ch, byte[] stream, int part, int capacity,
      List<ByteBuf> pieces, Runnable check) {
    for (int from = 0; from < stream.length; from += part) {
      int n = Math.min(part, stream.length - from);
      ByteBuf piece = ALLOC.directBuffer(capacity).writeBytes(stream, from, n);
      pieces.add(piece);
      ch.writeInbound(piece);
      check.run();
    }
  }

  private static List<String> framesOf(byte[] stream, int limit) {
    return feed(new FrameDecoder(limit), stream).frames();
  }

  /** Small frames and large ones (with a small threshold, so that all fit in a few hundred bytes). */
  private static byte[] mixedStream() {
    return concat(data(1, 100), control(new Frame.Ack(1)), data(2, 31), control(new Frame.Ping(7)),
        data(3, 300), data(4, 5), data(5, 64), data(6, 0), data(7, 150),
        control(new Frame.Close(ErrorCode.NORMAL, "bye")));
  }

  private static FrameDecoder smallThresholds() {
    return new FrameDecoder(4096, 40, 8);
  }

  @Test
  void everySingleCutGivesTheSameFrames() {
    byte[] stream = mixedStream();
    List<String> expected = framesOf(stream, 4096);
    assertEquals(10, expected.size());
    for (int cut = 0; cut <= stream.length; cut++) {
      assertEquals(expected, feed(smallThresholds(), stream, cut).frames(), "cut at " + cut);
      assertEquals(expected, feed(new FrameDecoder(4096), stream, cut).frames(), "cut at " + cut);
    }
  }

  @Test
  void everyPieceSizeGivesTheSameFrames() {
    byte[] stream = mixedStream();
    List<String> expected = framesOf(stream, 4096);
    boolean assembled = false;
    for (int size = 1; size <= stream.length; size++) {
      int[] cuts = new int[(stream.length - 1) / size];
      for (int i = 0; i < cuts.length; i++) {
        cuts[i] = (i + 1) * size;
      }
      Outcome o = feed(smallThresholds(), stream, cuts);
      assertEquals(expected, o.frames(), "pieces of " + size);
      assembled |= o.maxComponents() > 1;
    }
    assertTrue(assembled, "some large frame was assembled from slices of several pieces");
  }

  @Test
  void randomCutsGiveTheSameFrames() {
    byte[] stream = mixedStream();
    List<String> expected = framesOf(stream, 4096);
    Random random = new Random(42);
    for (int run = 0; run < 1500; run++) {
      int[] cuts = random.ints(1 + random.nextInt(12), 0, stream.length + 1).sorted().toArray();
      assertEquals(expected, feed(smallThresholds(), stream, cuts).frames(),
          "cuts " + Arrays.toString(cuts));
    }
  }

  @Test
  void largeFrameInTlsSizedPiecesIsAssembledWithoutACopy() {
    // A small frame, then a transfer-sized message, then the next frame, in 16 KiB pieces that do
    // not line up with the frames; the channel's allocator records every buffer asked for.
    int message = 256 * 1024 + 9;
    byte[] stream = concat(data(1, 1000), data(2, message), data(3, 50_000), control(new Frame.Ack(3)));
    int[] cuts = new int[stream.length / 16_384];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = (i + 1) * 16_384;
    }
    RecordingAllocator alloc = new RecordingAllocator();
    FrameDecoder decoder = new FrameDecoder(FrameDescriptor.dataFrameLength(message));
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast(decoder);
    List<ByteBuf> pieces = new ArrayList<>();
    List<Frame> frames = new ArrayList<>();
    try {
      int from = 0;
      for (int i = 0; i <= cuts.length; i++) {
        int to = i < cuts.length ? cuts[i] : stream.length;
        ByteBuf piece = ALLOC.directBuffer(to - from, to - from).writeBytes(stream, from, to - from);
        pieces.add(piece);
        ch.writeInbound(piece);
        from = to;
        for (Object o; (o = ch.readInbound()) != null; ) {
          frames.add((Frame) o);
        }
      }
      assertEquals(4, frames.size());
      Frame.Data big = (Frame.Data) frames.get(1);
      assertEquals(message, big.payload().readableBytes());
      assertEquals(Arrays.hashCode(Arrays.copyOfRange(data(2, message), 14, 14 + message)),
          Arrays.hashCode(ByteBufUtil.getBytes(big.payload())));
      assertTrue(big.payload().nioBufferCount() >= 16,
          "payload in " + big.payload().nioBufferCount() + " pieces");
      // Nothing the size of the frame was allocated: only the few bytes of frame starts that a
      // piece cut short. The 50,000-byte frame (under the threshold) is copied as before.
      assertTrue(alloc.largest() <= 50_014, "asked for " + alloc.largest() + " bytes");
      assertTrue(pieces.stream().anyMatch(p -> p.refCnt() > 0), "the payload holds the pieces");
    } finally {
      frames.forEach(f -> {
        if (f instanceof Frame.Data d) {
          d.release();
        }
      });
      ch.finishAndReleaseAll();
    }
    for (ByteBuf p : pieces) {
      assertEquals(0, p.refCnt(), "a piece was not released with its frame");
    }
  }

  @Test
  void smallPartsOfLargePiecesAreCopiedNotKept() {
    // 100 bytes at a time, each in a buffer of 16 KiB: keeping them would pin 160 times the data.
    byte[] stream = data(1, 100_000);
    FrameDecoder decoder = new FrameDecoder(200_000);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    List<ByteBuf> pieces = new ArrayList<>();
    Frame.Data frame = null;
    try {
      feedInParts(ch, stream, 100, 16 * 1024, pieces, () -> assertTrue(
          decoder.heldCapacity() <= 2L * stream.length,
          "holds " + decoder.heldCapacity() + " bytes for a frame of " + stream.length));
      frame = ch.readInbound();
      assertEquals(100_000, frame.payload().readableBytes());
      for (ByteBuf p : pieces) {
        assertEquals(0, p.refCnt(), "a small part was kept instead of copied");
      }
      assertTrue(frame.payload().nioBufferCount() <= 2, frame.payload().nioBufferCount() + "");
    } finally {
      if (frame != null) {
        frame.release();
      }
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void aLargeFrameIsChargedThePiecesItKeeps() {
    // 5 KiB parts (worth keeping) each in a 64 KiB buffer: the frame keeps 13 times its size
    // alive, and says so, so that the inbound queue counts that and not its payload.
    byte[] stream = data(1, 100_000);
    FrameDecoder decoder = new FrameDecoder(200_000);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    List<ByteBuf> pieces = new ArrayList<>();
    Frame.Data frame = null;
    try {
      feedInParts(ch, stream, 5000, 64 * 1024, pieces, () -> { });
      frame = ch.readInbound();
      assertEquals(Arrays.hashCode(Arrays.copyOfRange(stream, 14, stream.length)),
          Arrays.hashCode(ByteBufUtil.getBytes(frame.payload())));
      long pinned = pieces.stream().filter(p -> p.refCnt() > 0).mapToLong(ByteBuf::capacity).sum();
      assertEquals(20L * 64 * 1024, pinned, "every 5000-byte part kept, the 14-byte tail copied");
      assertTrue(frame.memory() >= pinned, frame.memory() + " charged for " + pinned + " kept");
      assertTrue(frame.memory() <= pinned + 1024, frame.memory() + " charged for " + pinned);
    } finally {
      if (frame != null) {
        frame.release();
      }
      ch.finishAndReleaseAll();
    }
    for (ByteBuf p : pieces) {
      assertEquals(0, p.refCnt());
    }
  }

  @Test
  void aSmallMessageIsChargedTheWholeBufferItKeeps() {
    // One-byte messages among other frames, each read a 1 MiB buffer (as a large socket read
    // gives): the first message in a buffer is charged all of it, the next ones in it nothing;
    // control frames before them do not use up the charge; a message copied because it was cut
    // is charged its copy.
    int mib = 1024 * 1024;
    byte[] first = concat(control(new Frame.Ping(1)), data(1, 1), data(2, 1), control(new Frame.Ack(2)));
    byte[] cut = data(4, 100);
    byte[] second = concat(data(3, 1), Arrays.copyOf(cut, 50));
    byte[] third = Arrays.copyOfRange(cut, 50, cut.length);
    FrameDecoder decoder = new FrameDecoder(4096);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    List<ByteBuf> pieces = new ArrayList<>();
    List<Frame.Data> frames = new ArrayList<>();
    try {
      for (byte[] piece : List.of(first, second, third)) {
        ByteBuf b = ALLOC.directBuffer(mib).writeBytes(piece);
        pieces.add(b);
        ch.writeInbound(b);
        for (Object o; (o = ch.readInbound()) != null; ) {
          if (o instanceof Frame.Data d) {
            frames.add(d);
          }
        }
      }
      assertEquals(List.of(1L, 2L, 3L, 4L), frames.stream().map(Frame.Data::seq).toList());
      assertEquals(List.of((long) mib, 0L, (long) mib, (long) cut.length),
          frames.stream().map(Frame.Data::memory).toList());
      assertEquals(0, pieces.get(2).refCnt(), "the cut message was copied, its pieces let go");
    } finally {
      frames.forEach(Frame.Data::release);
      ch.finishAndReleaseAll();
    }
    for (ByteBuf p : pieces) {
      assertEquals(0, p.refCnt());
    }
  }

  @Test
  void queuedFramesNeverKeepMoreThanTheirChargePlusOnePiece() {
    // The bound the inbound queue relies on: however the stream is cut and however large the
    // buffers it comes in, while messages are handed on in order, the pieces still alive are at
    // most what the queued messages were charged plus one piece.
    byte[] stream = mixedStream();
    Random random = new Random(7);
    for (int run = 0; run < 500; run++) {
      int[] cuts = random.ints(1 + random.nextInt(12), 0, stream.length + 1).sorted().distinct()
          .toArray();
      EmbeddedChannel ch = new EmbeddedChannel(smallThresholds());
      List<ByteBuf> pieces = new ArrayList<>();
      List<Frame.Data> queued = new ArrayList<>();
      long largestPiece = 0;
      try {
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
          int to = i < cuts.length ? cuts[i] : stream.length;
          if (to == from) {
            continue;
          }
          int capacity = (to - from) * (1 + random.nextInt(4)) + random.nextInt(64);
          largestPiece = Math.max(largestPiece, capacity);
          ByteBuf piece = ALLOC.directBuffer(capacity, capacity).writeBytes(stream, from, to - from);
          pieces.add(piece);
          from = to;
          ch.writeInbound(piece);
          for (Object o; (o = ch.readInbound()) != null; ) {
            if (o instanceof Frame.Data d) {
              queued.add(d);
            }
          }
        }
        while (true) {
          long alive = pieces.stream().filter(p -> p.refCnt() > 0).mapToLong(ByteBuf::capacity)
              .sum();
          long charged = queued.stream().mapToLong(Frame.Data::memory).sum();
          assertTrue(alive <= charged + largestPiece, "cuts " + Arrays.toString(cuts) + ": "
              + alive + " bytes alive, " + charged + " charged to " + queued.size() + " queued");
          if (queued.isEmpty()) {
            break;
          }
          queued.remove(0).release();
        }
      } finally {
        queued.forEach(Frame.Data::release);
        ch.finishAndReleaseAll();
      }
      for (ByteBuf p : pieces) {
        assertEquals(0, p.refCnt());
      }
    }
  }

  @Test
  void largeFrameEndingInThePieceThatCarriesTheNextFrames() {
    byte[] stream = concat(data(1, 200), control(new Frame.Ping(1)), data(2, 90),
        control(new Frame.Ack(2)));
    int end = data(1, 200).length;
    List<String> expected = framesOf(stream, 4096);
    // The large frame arrives in three pieces, the last also carrying everything after it.
    Outcome o = feed(smallThresholds(), stream, 60, end - 30);
    assertEquals(expected, o.frames());
    assertTrue(o.maxComponents() > 1);
    // ...or the last piece carries only the next frame's first byte.
    assertEquals(expected, feed(smallThresholds(), stream, 60, end + 1).frames());
  }

  @Test
  void aLimitRaisedByOneFrameAppliesToTheNextInTheSamePiece() {
    // After PING (standing in for OPENED) the handler raises the limit: the large DATA frame in
    // the same piece is checked against the new limit, in both the in-piece and assembled paths.
    byte[] stream = concat(control(new Frame.Ping(1)), data(1, 500));
    for (int cut : new int[] {0, 30}) {
      FrameDecoder decoder = new FrameDecoder(100, 40, 8);
      EmbeddedChannel ch = new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
          if (msg instanceof Frame.Ping) {
            decoder.maxFrameSize(1000);
          }
          ctx.fireChannelRead(msg);
        }
      });
      try {
        if (cut > 0) {
          ch.writeInbound(Unpooled.copiedBuffer(stream, 0, cut));
        }
        ch.writeInbound(Unpooled.copiedBuffer(stream, cut, stream.length - cut));
        assertInstanceOf(Frame.Ping.class, ch.readInbound());
        Frame.Data d = ch.readInbound();
        assertEquals(500, d.payload().readableBytes());
        d.release();
      } finally {
        ch.finishAndReleaseAll();
      }
    }
    // Without the raise, the same DATA frame is refused from its length field.
    ProtocolException e = feed(new FrameDecoder(100, 40, 8), stream).failure();
    assertEquals(ErrorCode.FRAME_TOO_LARGE, e.code());
  }

  @Test
  void oversizedLengthAfterALargeFrameIsRefusedAndNothingIsHeld() {
    ByteBuf huge = Unpooled.buffer().writeInt(5000).writeByte(1).writeByte(FrameDescriptor.DATA);
    byte[] stream = concat(data(1, 300), ByteBufUtil.getBytes(huge), new byte[2000]);
    huge.release();
    for (int cut : new int[] {50, 310, 314, 317}) {
      Outcome o = feed(smallThresholds(), stream, 20, cut);
      assertEquals(List.of("Data 1 300B #" + Arrays.hashCode(
          Arrays.copyOfRange(data(1, 300), 14, 314))), o.frames(), "cut at " + cut);
      assertEquals(ErrorCode.FRAME_TOO_LARGE, o.failure().code());
    }
  }

  @Test
  void afterAFailureInALargeFrameTheRestIsReleasedUnread() {
    byte[] bad = data(1, 300);
    bad[4] = 9; // version
    byte[] stream = concat(bad, data(2, 10), data(3, 300));
    Outcome o = feed(smallThresholds(), stream, 100, 200, 320, 400);
    assertEquals(List.of(), o.frames());
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, o.failure().code());
  }

  @Test
  void closingMidFrameReleasesEverythingHeld() {
    byte[] stream = concat(data(1, 300), data(2, 20));
    // Inside the first length field; inside the large frame after kept slices and copied parts;
    // inside the small frame.
    int[][] cutsList = {{2}, {3, 5, 60, 200, 203}, {317, 330}};
    for (int[] cuts : cutsList) {
      FrameDecoder decoder = smallThresholds();
      EmbeddedChannel ch = new EmbeddedChannel(decoder);
      List<ByteBuf> pieces = new ArrayList<>();
      int from = 0;
      for (int to : cuts) {
        ByteBuf piece = ALLOC.directBuffer(to - from, to - from).writeBytes(stream, from, to - from);
        pieces.add(piece);
        ch.writeInbound(piece);
        from = to;
      }
      for (Object o; (o = ch.readInbound()) != null; ) {
        ((Frame.Data) o).release();
      }
      assertTrue(decoder.heldCapacity() > 0, "mid-frame at " + Arrays.toString(cuts));
      ch.pipeline().fireChannelInactive(); // the connection ended (the decoder stays in place)
      assertEquals(0, decoder.heldCapacity());
      for (ByteBuf p : pieces) {
        assertEquals(0, p.refCnt(), "a piece outlived the connection");
      }
      // Input after the end (already read by the transport) is released, not assembled.
      ByteBuf late = Unpooled.copiedBuffer(stream);
      ch.pipeline().fireChannelRead(late);
      assertEquals(0, late.refCnt());
      assertEquals(0, decoder.heldCapacity());
      assertNull(ch.readInbound());
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void removingTheDecoderMidFrameReleasesWhatItHeld() {
    FrameDecoder decoder = smallThresholds();
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    byte[] stream = data(1, 300);
    ByteBuf piece = ALLOC.directBuffer(200, 200).writeBytes(stream, 0, 200);
    ch.writeInbound(piece);
    assertEquals(1, piece.refCnt(), "kept as a slice");
    ch.pipeline().remove(decoder);
    assertEquals(0, piece.refCnt());
    assertEquals(0, decoder.heldCapacity());
    ch.finishAndReleaseAll();
  }

  @Test
  void aPieceNotABufferIsPassedOn() {
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(4096));
    ch.writeInbound("not bytes");
    assertEquals("not bytes", ch.readInbound());
    ch.finishAndReleaseAll();
  }
}
