package dev.lifeline.internal.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.ArrayList;
import java.util.Arrays;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FrameEncoder} and {@link FrameDecoder} in {@link EmbeddedChannel}s: every frame type
 * round trips, the byte layout is the one {@link FrameDescriptor} documents, a stream fed one byte
 * at a time decodes the same, and every limit is enforced before anything is accumulated.
 */
class FrameCodecTest {
  private static final byte[] TOKEN = filled(32, 7);
  private static final byte[] OTHER_TOKEN = filled(32, 9);

  private final List<EmbeddedChannel> channels = new ArrayList<>();

  @AfterEach
  void releaseAll() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  private EmbeddedChannel encoder() {
    EmbeddedChannel ch = new EmbeddedChannel(FrameEncoder.INSTANCE);
    channels.add(ch);
    return ch;
  }

  private EmbeddedChannel decoder(int maxFrameSize) {
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(maxFrameSize));
    channels.add(ch);
    return ch;
  }

  /** The bytes the encoder writes for {@code frame} (DATA is two buffers: header, payload). */
  private byte[] wire(Frame frame) {
    EmbeddedChannel enc = encoder();
    enc.writeOutbound(frame);
    ByteBuf all = Unpooled.buffer();
    for (ByteBuf b; (b = enc.readOutbound()) != null; ) {
      all.writeBytes(b);
      b.release();
    }
    byte[] bytes = ByteBufUtil.getBytes(all);
    all.release();
    return bytes;
  }

  private Frame roundTrip(Frame frame) {
    EmbeddedChannel dec = decoder(FrameDescriptor.MAX_CONTROL_FRAME_SIZE);
    dec.writeInbound(Unpooled.wrappedBuffer(wire(frame)));
    Frame decoded = dec.readInbound();
    assertNull(dec.readInbound(), "exactly one frame");
    return decoded;
  }

  private static Frame.StreamState state() {
    return new Frame.StreamState(41, 40, "offset=4096".getBytes(UTF_8), 17);
  }

  private static void assertState(Frame.StreamState expected, Frame.StreamState actual) {
    assertEquals(expected.received(), actual.received());
    assertEquals(expected.checkpointSeq(), actual.checkpointSeq());
    assertArrayEquals(expected.checkpointState(), actual.checkpointState());
    assertEquals(expected.replayFrom(), actual.replayFrom());
  }

  @Test
  void everyControlFrameRoundTrips() {
    Frame.Hello hello = (Frame.Hello) roundTrip(new Frame.Hello(1, 65_546, "lifeline/0.1 ✓"));
    assertEquals(1, hello.protocolVersion());
    assertEquals(65_546, hello.maxFrameSize());
    assertEquals("lifeline/0.1 ✓", hello.serverName());

    Frame.Open open = (Frame.Open) roundTrip(new Frame.Open(70_000, "alice:pw".getBytes(UTF_8)));
    assertEquals(70_000, open.maxFrameSize());
    assertArrayEquals("alice:pw".getBytes(UTF_8), open.credentials());

    Frame.Resume resume = (Frame.Resume) roundTrip(
        new Frame.Resume("AbC-_123", TOKEN, new byte[0], state()));
    assertEquals("AbC-_123", resume.sessionId());
    assertArrayEquals(TOKEN, resume.token());
    assertArrayEquals(new byte[0], resume.credentials());
    assertState(state(), resume.state());

    Frame.Opened opened = (Frame.Opened) roundTrip(new Frame.Opened("s1", TOKEN));
    assertEquals("s1", opened.sessionId());
    assertArrayEquals(TOKEN, opened.token());

    Frame.StreamState noReplay = new Frame.StreamState(0, 0, new byte[0], FrameDescriptor.NO_REPLAY);
    Frame.Resumed resumed = (Frame.Resumed) roundTrip(new Frame.Resumed(OTHER_TOKEN, noReplay));
    assertArrayEquals(OTHER_TOKEN, resumed.newToken());
    assertState(noReplay, resumed.state());

    assertInstanceOf(Frame.Confirm.class, roundTrip(new Frame.Confirm()));
    assertEquals(Long.MAX_VALUE, ((Frame.Ack) roundTrip(new Frame.Ack(Long.MAX_VALUE))).seq());
    assertEquals(-1L, ((Frame.Ping) roundTrip(new Frame.Ping(-1L))).opaque());
    assertEquals(42L, ((Frame.Pong) roundTrip(new Frame.Pong(42L))).opaque());

    for (ErrorCode code : ErrorCode.values()) {
      Frame.Close close = (Frame.Close) roundTrip(new Frame.Close(code, "because " + code));
      assertEquals(code, close.code());
      assertEquals("because " + code, close.reason());
    }
  }

  @Test
  void dataRoundTripsWithoutCopyingAndReleasesItsPayload() {
    ByteBuf payload = Unpooled.copiedBuffer("hello, world", UTF_8);
    Frame.Data sent = new Frame.Data(Long.MAX_VALUE - 1, payload);
    byte[] bytes = wire(sent);
    assertEquals(0, payload.refCnt(), "the encoder released the frame and its write");

    EmbeddedChannel dec = decoder(1024);
    dec.writeInbound(Unpooled.wrappedBuffer(bytes));
    Frame.Data got = dec.readInbound();
    try {
      assertEquals(Long.MAX_VALUE - 1, got.seq());
      assertEquals("hello, world", got.payload().toString(UTF_8));
    } finally {
      got.release();
    }
    assertEquals(0, got.payload().refCnt());
  }

  @Test
  void layoutIsTheDocumentedOne() {
    HexFormat hex = HexFormat.of();
    // length 10 = version + type + u64; version 1; type ACK 0x11; seq 5
    assertEquals("0000000a" + "01" + "11" + "0000000000000005", hex.formatHex(wire(new Frame.Ack(5))));
    // DATA: length 2 + 8 + 3; type 0x10; seq 258; payload "abc"
    assertEquals("0000000d" + "01" + "10" + "0000000000000102" + "616263",
        hex.formatHex(wire(new Frame.Data(258, Unpooled.copiedBuffer("abc", UTF_8)))));
    // CLOSE: u16 code 13 (INVALID_TOKEN), bytes16 reason "no"
    assertEquals("00000008" + "01" + "1f" + "000d" + "0002" + "6e6f",
        hex.formatHex(wire(new Frame.Close(ErrorCode.INVALID_TOKEN, "no"))));
    // CONFIRM: empty body
    assertEquals("00000002" + "01" + "06", hex.formatHex(wire(new Frame.Confirm())));
    // OPEN: u32 maxFrameSize, bytes16 credentials
    assertEquals("0000000a" + "01" + "02" + "00001000" + "0002" + "6869",
        hex.formatHex(wire(new Frame.Open(4096, "hi".getBytes(UTF_8)))));
    // RESUMED: bytes16 token (32), StreamState u64 received, u64 checkpointSeq, bytes32 state,
    // u64 replayFrom
    byte[] resumed = wire(new Frame.Resumed(TOKEN,
        new Frame.StreamState(3, 2, new byte[] {(byte) 0xAB}, 4)));
    assertEquals(4 + 2 + 2 + 32 + 8 + 8 + 4 + 1 + 8, resumed.length);
    assertEquals("0000000000000003" + "0000000000000002" + "00000001" + "ab" + "0000000000000004",
        hex.formatHex(resumed, 4 + 2 + 2 + 32, resumed.length));
  }

  @Test
  void decodesTheSameWhenBytesArriveOneAtATime() {
    List<Frame> frames = List.of(
        new Frame.Hello(1, 4096, "s"),
        new Frame.Opened("id", TOKEN),
        new Frame.Data(1, Unpooled.copiedBuffer("first", UTF_8)),
        new Frame.Ack(1),
        new Frame.Data(2, Unpooled.buffer(0)),
        new Frame.Ping(7),
        new Frame.Resume("id", TOKEN, new byte[] {1, 2}, state()),
        new Frame.Close(ErrorCode.NORMAL, ""));
    ByteBuf stream = Unpooled.buffer();
    for (Frame f : frames) {
      stream.writeBytes(wire(f));
    }
    EmbeddedChannel dec = decoder(4096);
    while (stream.isReadable()) {
      dec.writeInbound(stream.readRetainedSlice(1));
    }
    stream.release();
    List<String> got = new ArrayList<>();
    for (Object f; (f = dec.readInbound()) != null; ) {
      got.add(describe((Frame) f));
      if (f instanceof Frame.Data d) {
        d.release();
      }
    }
    assertEquals(List.of("Hello", "Opened id", "Data 1 first", "Ack 1", "Data 2 ", "Ping 7",
        "Resume id 41/40/17", "Close NORMAL"), got);
  }

  private static String describe(Frame f) {
    if (f instanceof Frame.Data d) {
      return "Data " + d.seq() + " " + d.payload().toString(UTF_8);
    } else if (f instanceof Frame.Opened o) {
      return "Opened " + o.sessionId();
    } else if (f instanceof Frame.Ack a) {
      return "Ack " + a.seq();
    } else if (f instanceof Frame.Ping p) {
      return "Ping " + p.opaque();
    } else if (f instanceof Frame.Resume r) {
      return "Resume " + r.sessionId() + " " + r.state().received() + "/"
          + r.state().checkpointSeq() + "/" + r.state().replayFrom();
    } else if (f instanceof Frame.Close c) {
      return "Close " + c.code();
    }
    return f.getClass().getSimpleName();
  }

  // ------------------------------------------------------------------ limits and bad input

  /** Feeds {@code bytes} and returns the protocol error the decoder raised. */
  private ProtocolException failure(EmbeddedChannel dec, byte[] bytes) {
    DecoderException e = assertThrows(DecoderException.class,
        () -> dec.writeInbound(Unpooled.wrappedBuffer(bytes)));
    return assertInstanceOf(ProtocolException.class, e.getCause());
  }

  private ProtocolException failure(byte[] bytes) {
    return failure(decoder(FrameDescriptor.MAX_CONTROL_FRAME_SIZE), bytes);
  }

  private static byte[] frame(int length, int version, int type, byte[] body) {
    ByteBuf b = Unpooled.buffer().writeInt(length).writeByte(version).writeByte(type)
        .writeBytes(body);
    byte[] bytes = ByteBufUtil.getBytes(b);
    b.release();
    return bytes;
  }

  private static byte[] frame(int type, byte[] body) {
    return frame(2 + body.length, FrameDescriptor.VERSION, type, body);
  }

  @Test
  void oversizedLengthIsRefusedFromTheLengthFieldAloneAndNothingIsAccumulated() {
    EmbeddedChannel dec = decoder(1024);
    ProtocolException e = failure(dec, new byte[] {0, 0, 4, 1}); // 1025: the body never comes
    assertEquals(ErrorCode.FRAME_TOO_LARGE, e.code());
    assertTrue(e.getMessage().contains("1025"), e.getMessage());
    // What follows is discarded, not buffered: the decoder keeps no reference to any of it.
    for (int i = 0; i < 64; i++) {
      ByteBuf chunk = Unpooled.buffer(16 * 1024).writeZero(16 * 1024);
      dec.writeInbound(chunk);
      assertEquals(0, chunk.refCnt(), "chunk " + i + " was released, not accumulated");
    }
    assertNull(dec.readInbound());
  }

  @Test
  void hugeLengthIsRefusedBeforeAllocating() {
    ProtocolException e = failure(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xF0});
    assertEquals(ErrorCode.FRAME_TOO_LARGE, e.code());
    assertTrue(e.getMessage().contains("4294967280"), e.getMessage());
  }

  @Test
  void frameOfExactlyTheLimitIsAcceptedAndTheLimitCanBeRaised() {
    EmbeddedChannel dec = decoder(2 + 8 + 100);
    byte[] data = wire(new Frame.Data(1, Unpooled.wrappedBuffer(new byte[100])));
    dec.writeInbound(Unpooled.wrappedBuffer(data));
    Frame.Data d = dec.readInbound();
    assertEquals(100, d.payload().readableBytes());
    d.release();

    dec.pipeline().get(FrameDecoder.class).maxFrameSize(2 + 8 + 200);
    dec.writeInbound(Unpooled.wrappedBuffer(wire(new Frame.Data(2, Unpooled.wrappedBuffer(new byte[200])))));
    d = dec.readInbound();
    assertEquals(200, d.payload().readableBytes());
    d.release();

    assertEquals(ErrorCode.FRAME_TOO_LARGE,
        failure(dec, wire(new Frame.Data(3, Unpooled.wrappedBuffer(new byte[201])))).code());
  }

  @Test
  void lengthBelowTheHeaderIsAProtocolError() {
    assertEquals(ErrorCode.PROTOCOL_ERROR, failure(new byte[] {0, 0, 0, 1, 1}).code());
  }

  @Test
  void unknownFrameTypeIsNamed() {
    ProtocolException e = failure(frame(0x7E, new byte[3]));
    assertEquals(ErrorCode.UNKNOWN_FRAME_TYPE, e.code());
    assertTrue(e.getMessage().contains("0x7e"), e.getMessage());
  }

  @Test
  void otherVersionIsUnsupported() {
    assertEquals(ErrorCode.UNSUPPORTED_VERSION,
        failure(frame(10, 2, FrameDescriptor.ACK, new byte[8])).code());
  }

  @Test
  void truncatedBodiesAreProtocolErrors() {
    // ACK needs 8 bytes of body
    ProtocolException ack = failure(frame(FrameDescriptor.ACK, new byte[3]));
    assertEquals(ErrorCode.PROTOCOL_ERROR, ack.code());
    assertTrue(ack.getMessage().contains("truncated ACK"), ack.getMessage());
    // OPEN whose credentials claim 100 bytes but carry 2
    ProtocolException open = failure(frame(FrameDescriptor.OPEN, new byte[] {0, 0, 16, 0, 0, 100, 1, 2}));
    assertEquals(ErrorCode.PROTOCOL_ERROR, open.code());
    // DATA without a complete sequence number
    assertEquals(ErrorCode.PROTOCOL_ERROR, failure(frame(FrameDescriptor.DATA, new byte[7])).code());
  }

  @Test
  void openCarriesTheProducerOfADurableOutbox() {
    byte[] producer = new byte[FrameDescriptor.PRODUCER_ID_BYTES];
    producer[0] = 7;
    Frame.Open open = (Frame.Open) roundTrip(
        new Frame.Open(4096, "hi".getBytes(UTF_8), producer, 300));
    assertArrayEquals(producer, open.producerId());
    assertEquals(300, open.producerBase());
    Frame.Open plain = (Frame.Open) roundTrip(new Frame.Open(4096, new byte[0]));
    assertEquals(0, plain.producerId().length);
    // a producer id of the wrong size, and a truncated base, are protocol errors
    assertEquals(ErrorCode.PROTOCOL_ERROR, failure(frame(FrameDescriptor.OPEN,
        new byte[] {0, 0, 16, 0, 0, 0, 0, 2, 1, 2, 0, 0, 0, 0, 0, 0, 0, 1})).code());
    byte[] truncated = ByteBuffer.allocate(4 + 2 + 2 + 16 + 4)
        .putInt(4096).putShort((short) 0).putShort((short) 16).put(producer).array();
    assertEquals(ErrorCode.PROTOCOL_ERROR,
        failure(frame(FrameDescriptor.OPEN, truncated)).code());
  }

  @Test
  void trailingBytesInAControlFrameAreAProtocolError() {
    byte[] ping = wire(new Frame.Ping(1));
    ByteBuf b = Unpooled.buffer().writeInt(ping.length - 4 + 1).writeBytes(ping, 4, ping.length - 4)
        .writeByte(0);
    byte[] bytes = ByteBufUtil.getBytes(b);
    b.release();
    ProtocolException e = failure(bytes);
    assertEquals(ErrorCode.PROTOCOL_ERROR, e.code());
    assertTrue(e.getMessage().contains("trailing"), e.getMessage());
  }

  @Test
  void fieldLimitsAreEnforced() {
    Consumer<byte[]> protocolError = bytes ->
        assertEquals(ErrorCode.PROTOCOL_ERROR, failure(bytes).code());
    // token of 31 bytes
    ByteBuf opened = Unpooled.buffer().writeShort(2).writeBytes("id".getBytes(UTF_8))
        .writeShort(31).writeBytes(new byte[31]);
    protocolError.accept(frame(FrameDescriptor.OPENED, ByteBufUtil.getBytes(opened)));
    opened.release();
    // credentials over 4 KiB
    ByteBuf open = Unpooled.buffer().writeInt(4096)
        .writeShort(FrameDescriptor.MAX_CREDENTIALS_BYTES + 1)
        .writeBytes(new byte[FrameDescriptor.MAX_CREDENTIALS_BYTES + 1]);
    protocolError.accept(frame(FrameDescriptor.OPEN, ByteBufUtil.getBytes(open)));
    open.release();
    // a session id that is not printable ASCII
    protocolError.accept(wire(new Frame.Opened("a b", TOKEN)));
    // replayFrom 0 (sequences start at 1)
    protocolError.accept(wire(new Frame.Resumed(TOKEN, new Frame.StreamState(0, 0, new byte[0], 0))));
  }

  @Test
  void afterAFailureEverythingIsDiscarded() {
    EmbeddedChannel dec = decoder(1024);
    failure(dec, frame(0x7E, new byte[0]));
    dec.writeInbound(Unpooled.wrappedBuffer(wire(new Frame.Ping(1))));
    assertNull(dec.readInbound(), "no frame is decoded after the connection failed");
  }

  @Test
  void closeReasonIsCutToTheLimit() {
    char[] longReason = new char[3000];
    Arrays.fill(longReason, 'x');
    Frame.Close close = (Frame.Close) roundTrip(
        new Frame.Close(ErrorCode.INTERNAL_ERROR, new String(longReason)));
    assertEquals(FrameDescriptor.MAX_REASON_BYTES, close.reason().length());
  }

  @Test
  void encodeRefusesData() {
    Frame.Data data = new Frame.Data(1, Unpooled.buffer(1));
    try {
      assertThrows(IllegalArgumentException.class,
          () -> FrameEncoder.encode(UnpooledByteBufAllocator.DEFAULT, data));
    } finally {
      data.release();
    }
  }

  /**
   * A large DATA frame arriving in TLS-record-sized pieces (with the next frame's first bytes in
   * the last piece) is assembled in one buffer of the frame's size (plus one piece), not in one that
   * doubles and is copied at each doubling; the payload is intact and the next frame follows.
   */
  @Test
  void largeDataFrameIsAssembledInOneBufferOfItsSize() {
    byte[] payload = new byte[256 * 1024 + 9];
    new java.util.Random(3).nextBytes(payload);
    byte[] first = wire(new Frame.Data(5, Unpooled.wrappedBuffer(payload)));
    byte[] second = wire(new Frame.Data(6, Unpooled.wrappedBuffer(filled(100, 1))));
    byte[] stream = new byte[first.length + second.length];
    System.arraycopy(first, 0, stream, 0, first.length);
    System.arraycopy(second, 0, stream, first.length, second.length);

    EmbeddedChannel dec = decoder(FrameDescriptor.dataFrameLength(payload.length));
    dec.config().setAllocator(new UnpooledByteBufAllocator(false)); // exact capacities
    int piece = 16 * 1024 + 5;
    for (int at = 0; at < stream.length; at += piece) {
      dec.writeInbound(Unpooled.copiedBuffer(stream, at, Math.min(piece, stream.length - at)));
    }
    Frame.Data a = dec.readInbound();
    Frame.Data b = dec.readInbound();
    try {
      assertEquals(5, a.seq());
      assertArrayEquals(payload, ByteBufUtil.getBytes(a.payload()));
      ByteBuf root = a.payload();
      while (root.unwrap() != null) {
        root = root.unwrap(); // past slices and leak-detection wrappers to the memory itself
      }
      int capacity = root.capacity();
      assertTrue(capacity >= first.length && capacity <= first.length + piece,
          "the frame was collected in one buffer of its size plus one piece: " + capacity);
      assertEquals(6, b.seq());
      assertArrayEquals(filled(100, 1), ByteBufUtil.getBytes(b.payload()));
    } finally {
      a.release();
      b.release();
    }
  }

  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }
}
