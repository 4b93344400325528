package dev.lifeline.internal.protocol;

import static dev.lifeline.internal.protocol.FrameDescriptor.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FrameReader} alone, on plain buffers and no channel: every frame type reads back what
 * {@link FrameEncoder} wrote, a DATA payload is a slice of the input, every rule of the format is
 * enforced with the error code the CLOSE frame carries, and a field at exactly its limit passes.
 * Accumulation and the frame size limit are {@link FrameDecoder}'s and tested with it.
 */
class FrameReaderTest {
  private static final byte[] TOKEN = filled(TOKEN_BYTES, 7);

  private final List<ByteBuf> inputs = new ArrayList<>();

  @AfterEach
  void releaseInputs() {
    for (ByteBuf b : inputs) {
      assertEquals(1, b.refCnt(), "the reader kept no reference to its input");
      b.release();
    }
  }

  /** Keeps {@code b} to be released (and checked for leaks) after the test. */
  private ByteBuf input(ByteBuf b) {
    inputs.add(b);
    return b;
  }

  /** What the encoder writes for a control frame. */
  private ByteBuf wire(Frame frame) {
    return input(FrameEncoder.encode(UnpooledByteBufAllocator.DEFAULT, frame));
  }

  /** A frame with a correct length field and the given version, type and body. */
  private ByteBuf frame(int version, int type, byte[] body) {
    return input(Unpooled.buffer().writeInt(HEADER_BODY_BYTES + body.length)
        .writeByte(version).writeByte(type).writeBytes(body));
  }

  private ByteBuf frame(int type, byte[] body) {
    return frame(VERSION, type, body);
  }

  private ByteBuf frame(int type, ByteBuf body) {
    try {
      byte[] bytes = new byte[body.readableBytes()];
      body.readBytes(bytes);
      return frame(type, bytes);
    } finally {
      body.release();
    }
  }

  private static Frame read(ByteBuf frame) throws ProtocolException {
    Frame f = FrameReader.read(frame, 0);
    assertEquals(0, frame.readableBytes(), "the whole frame was consumed");
    return f;
  }

  private static ProtocolException refused(ErrorCode expected, ByteBuf frame) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> FrameReader.read(frame, 0));
    assertEquals(expected, e.code(), e.getMessage());
    return e;
  }

  private static Frame.StreamState state(long received, long checkpoint, long replayFrom) {
    return new Frame.StreamState(received, checkpoint, "at=4096".getBytes(UTF_8), replayFrom);
  }

  @Test
  void everyControlFrameReadsBackWhatTheEncoderWrote() throws ProtocolException {
    Frame.Hello hello = (Frame.Hello) read(wire(new Frame.Hello(1, 65_546, "lifeline ✓")));
    assertEquals(List.of(1, 65_546, "lifeline ✓"),
        List.of(hello.protocolVersion(), hello.maxFrameSize(), hello.serverName()));

    Frame.Open open = (Frame.Open) read(wire(new Frame.Open(70_000, "alice:pw".getBytes(UTF_8))));
    assertEquals(70_000, open.maxFrameSize());
    assertArrayEquals("alice:pw".getBytes(UTF_8), open.credentials());

    Frame.Resume resume = (Frame.Resume) read(
        wire(new Frame.Resume("AbC-_123", TOKEN, new byte[] {9}, state(41, 40, 17))));
    assertEquals("AbC-_123", resume.sessionId());
    assertArrayEquals(TOKEN, resume.token());
    assertArrayEquals(new byte[] {9}, resume.credentials());
    assertState(state(41, 40, 17), resume.state());

    Frame.Opened opened = (Frame.Opened) read(wire(new Frame.Opened("s1", TOKEN)));
    assertEquals("s1", opened.sessionId());
    assertArrayEquals(TOKEN, opened.token());

    Frame.Resumed resumed = (Frame.Resumed) read(
        wire(new Frame.Resumed(TOKEN, state(0, 0, NO_REPLAY))));
    assertArrayEquals(TOKEN, resumed.newToken());
    assertState(state(0, 0, NO_REPLAY), resumed.state());

    assertInstanceOf(Frame.Confirm.class, read(wire(new Frame.Confirm())));
    assertEquals(Long.MAX_VALUE, ((Frame.Ack) read(wire(new Frame.Ack(Long.MAX_VALUE)))).seq());
    assertEquals(-1L, ((Frame.Ping) read(wire(new Frame.Ping(-1L)))).opaque());
    assertEquals(42L, ((Frame.Pong) read(wire(new Frame.Pong(42L)))).opaque());
    for (ErrorCode code : ErrorCode.values()) {
      Frame.Close close = (Frame.Close) read(wire(new Frame.Close(code, "because " + code)));
      assertEquals(code, close.code());
      assertEquals("because " + code, close.reason());
    }
  }

  private static void assertState(Frame.StreamState expected, Frame.StreamState actual) {
    assertEquals(expected.received(), actual.received());
    assertEquals(expected.checkpointSeq(), actual.checkpointSeq());
    assertArrayEquals(expected.checkpointState(), actual.checkpointState());
    assertEquals(expected.replayFrom(), actual.replayFrom());
  }

  @Test
  void theEncodersHeaderSitsAtTheDescriptorsOffsets() {
    ByteBuf ping = wire(new Frame.Ping(5));
    assertEquals(ping.readableBytes() - LENGTH_FIELD_BYTES, ping.getInt(LENGTH_OFFSET));
    assertEquals(VERSION, ping.getByte(VERSION_OFFSET));
    assertEquals(PING, ping.getByte(TYPE_OFFSET));
    assertEquals(5, ping.getLong(BODY_OFFSET));
    assertEquals(HEADER_BYTES + Long.BYTES, ping.readableBytes());
  }

  @Test
  void eachFramesTypeIsTheByteTheReaderFoundAtTheTypeOffset() throws ProtocolException {
    List<ByteBuf> all = List.of(
        wire(new Frame.Hello(1, 4096, "s")),
        wire(new Frame.Open(4096, new byte[0])),
        wire(new Frame.Resume("id", TOKEN, new byte[0], state(1, 1, 1))),
        wire(new Frame.Opened("id", TOKEN)),
        wire(new Frame.Resumed(TOKEN, state(1, 1, 1))),
        wire(new Frame.Confirm()),
        frame(DATA, Unpooled.buffer().writeLong(1).writeByte(0)),
        wire(new Frame.Ack(1)),
        wire(new Frame.Ping(1)),
        wire(new Frame.Pong(1)),
        wire(new Frame.Close(ErrorCode.NORMAL, "")));
    List<String> types = new ArrayList<>();
    for (ByteBuf in : all) {
      byte onTheWire = in.getByte(TYPE_OFFSET);
      Frame frame = read(in);
      assertEquals(onTheWire, frame.type(), frame.toString());
      types.add(typeName(frame.type()));
      frame.release();
    }
    assertEquals(List.of("HELLO", "OPEN", "RESUME", "OPENED", "RESUMED", "CONFIRM", "DATA", "ACK",
        "PING", "PONG", "CLOSE"), types);
  }

  @Test
  void releasingAFrameReleasesADataPayloadAndIsHarmlessForOthers() throws ProtocolException {
    Frame ack = read(wire(new Frame.Ack(1)));
    assertEquals(false, ack.release(), "an ACK holds no buffer");
    ByteBuf in = frame(DATA, Unpooled.buffer().writeLong(1).writeByte(0));
    Frame data = read(in);
    assertEquals(2, in.refCnt());
    assertTrue(data.release(), "the frame's reference to its payload was the last");
    assertEquals(1, in.refCnt(), "and the input is back to the caller's one reference");
  }

  @Test
  void dataPayloadIsARetainedSliceOfTheInputChargedTheGivenMemory() throws ProtocolException {
    // Two bytes of something else first: the reader starts at the reader index, not at 0.
    ByteBuf in = input(Unpooled.buffer().writeShort(0xBEEF)
        .writeInt(dataFrameLength(3)).writeByte(VERSION).writeByte(DATA).writeLong(258)
        .writeBytes("abc".getBytes(UTF_8)));
    in.skipBytes(2);
    Frame.Data data = (Frame.Data) FrameReader.read(in, 12_345);
    try {
      assertEquals(258, data.seq());
      assertEquals(12_345, data.memory());
      assertEquals("abc", data.payload().toString(UTF_8));
      assertEquals(2, in.refCnt(), "the payload holds one reference to the input");
      in.setByte(2 + DATA_PAYLOAD_OFFSET, 'x');
      assertEquals("xbc", data.payload().toString(UTF_8), "the payload is not a copy");
    } finally {
      data.release();
    }
  }

  @Test
  void aDataFrameWithAnEmptyPayloadIsAMessage() throws ProtocolException {
    ByteBuf in = frame(DATA, Unpooled.buffer().writeLong(7));
    Frame.Data data = (Frame.Data) read(in);
    assertEquals(7, data.seq());
    assertEquals(0, data.payload().readableBytes());
    data.release();
  }

  @Test
  void lengthBelowTheHeaderIsAProtocolError() {
    ByteBuf in = input(Unpooled.buffer().writeInt(1).writeByte(VERSION));
    ProtocolException e = refused(ErrorCode.PROTOCOL_ERROR, in);
    assertTrue(e.getMessage().contains("frame length 1"), e.getMessage());
  }

  @Test
  void otherVersionIsUnsupported() {
    ProtocolException e = refused(ErrorCode.UNSUPPORTED_VERSION, frame(2, ACK, new byte[8]));
    assertTrue(e.getMessage().contains("protocol version 2"), e.getMessage());
  }

  @Test
  void unknownTypeIsNamed() {
    ProtocolException e = refused(ErrorCode.UNKNOWN_FRAME_TYPE, frame(0x7E, new byte[3]));
    assertTrue(e.getMessage().contains("0x7e"), e.getMessage());
  }

  @Test
  void truncatedBodiesAreProtocolErrorsNamingTheType() {
    ProtocolException ack = refused(ErrorCode.PROTOCOL_ERROR, frame(ACK, new byte[3]));
    assertTrue(ack.getMessage().contains("truncated ACK"), ack.getMessage());
    ProtocolException data = refused(ErrorCode.PROTOCOL_ERROR, frame(DATA, new byte[7]));
    assertTrue(data.getMessage().contains("truncated DATA"), data.getMessage());
    // OPEN whose credentials claim 100 bytes but carry 2
    refused(ErrorCode.PROTOCOL_ERROR, frame(OPEN, new byte[] {0, 0, 16, 0, 0, 100, 1, 2}));
  }

  @Test
  void trailingBytesAfterAControlFrameAreAProtocolError() {
    ProtocolException e = refused(ErrorCode.PROTOCOL_ERROR,
        frame(PING, Unpooled.buffer().writeLong(1).writeByte(0)));
    assertTrue(e.getMessage().contains("1 trailing bytes in PING"), e.getMessage());
  }

  @Test
  void tokensMustBeExactlyTheirLength() {
    refused(ErrorCode.PROTOCOL_ERROR, frame(OPENED, Unpooled.buffer()
        .writeShort(2).writeBytes("id".getBytes(UTF_8)).writeShort(31).writeZero(31)));
    refused(ErrorCode.PROTOCOL_ERROR, frame(RESUMED, Unpooled.buffer()
        .writeShort(TOKEN_BYTES + 1).writeZero(TOKEN_BYTES + 1)));
  }

  @Test
  void sessionIdsArePrintableAsciiWithoutSpace() throws ProtocolException {
    refused(ErrorCode.PROTOCOL_ERROR, wire(new Frame.Opened("a b", TOKEN)));
    refused(ErrorCode.PROTOCOL_ERROR, wire(new Frame.Opened("a\u007f", TOKEN)));
    String edges = "" + (char) SESSION_ID_MIN_CHAR + (char) SESSION_ID_MAX_CHAR;
    assertEquals(edges, ((Frame.Opened) read(wire(new Frame.Opened(edges, TOKEN)))).sessionId());
  }

  @Test
  void eachFieldIsAcceptedAtItsLimitAndRefusedOneByteOver() throws ProtocolException {
    String name = "n".repeat(MAX_SERVER_NAME_BYTES);
    assertEquals(name, ((Frame.Hello) read(wire(new Frame.Hello(1, 4096, name)))).serverName());
    refused(ErrorCode.PROTOCOL_ERROR, wire(new Frame.Hello(1, 4096, name + "n")));

    String id = "i".repeat(MAX_SESSION_ID_BYTES);
    assertEquals(id, ((Frame.Opened) read(wire(new Frame.Opened(id, TOKEN)))).sessionId());
    refused(ErrorCode.PROTOCOL_ERROR, wire(new Frame.Opened(id + "i", TOKEN)));

    byte[] credentials = new byte[MAX_CREDENTIALS_BYTES];
    assertEquals(MAX_CREDENTIALS_BYTES,
        ((Frame.Open) read(wire(new Frame.Open(4096, credentials)))).credentials().length);
    refused(ErrorCode.PROTOCOL_ERROR, wire(new Frame.Open(4096, new byte[credentials.length + 1])));

    String reason = "r".repeat(MAX_REASON_BYTES);
    Frame.Close close = new Frame.Close(ErrorCode.NORMAL, reason);
    assertEquals(reason, ((Frame.Close) read(wire(close))).reason());
    refused(ErrorCode.PROTOCOL_ERROR, frame(CLOSE, Unpooled.buffer().writeShort(0)
        .writeShort(MAX_REASON_BYTES + 1).writeZero(MAX_REASON_BYTES + 1)));

    byte[] atLimit = new byte[MAX_CHECKPOINT_STATE_BYTES];
    Frame.Resumed resumed = new Frame.Resumed(TOKEN, new Frame.StreamState(1, 1, atLimit, 1));
    assertEquals(MAX_CHECKPOINT_STATE_BYTES,
        ((Frame.Resumed) read(wire(resumed))).state().checkpointState().length);
    Frame.Resumed over = new Frame.Resumed(TOKEN,
        new Frame.StreamState(1, 1, new byte[MAX_CHECKPOINT_STATE_BYTES + 1], 1));
    ProtocolException e = refused(ErrorCode.PROTOCOL_ERROR, wire(over));
    assertTrue(e.getMessage().contains("checkpoint state of 65537 bytes"), e.getMessage());
  }

  @Test
  void anInconsistentStreamStateIsAProtocolError() {
    for (Frame.StreamState bad : List.of(
        state(-1, 0, 1), // a negative sequence
        state(0, -1, 1),
        state(0, 0, FIRST_SEQ - 1))) { // sequences start at FIRST_SEQ
      ProtocolException e = refused(ErrorCode.PROTOCOL_ERROR, wire(new Frame.Resumed(TOKEN, bad)));
      assertTrue(e.getMessage().contains("inconsistent stream state"), e.getMessage());
    }
  }

  /**
   * A checkpoint that landed after a rewind is ahead of what arrived since, until the sender has
   * produced those messages again: a resume in that window says so (CheckpointAcrossRewindTest).
   */
  @Test
  void aCheckpointAheadOfWhatWasReceivedIsAcceptedAfterARewind() throws Exception {
    Frame.Resumed resumed = new Frame.Resumed(TOKEN, state(12, 15, 13));
    Frame.StreamState read = ((Frame.Resumed) read(wire(resumed))).state();
    assertEquals(12, read.received());
    assertEquals(15, read.checkpointSeq());
  }

  @Test
  void aBufferThatIsNotExactlyOneFrameIsTheCallersMistake() {
    ByteBuf ping = wire(new Frame.Ping(1));
    assertThrows(IllegalArgumentException.class,
        () -> FrameReader.read(ping.slice(0, ping.readableBytes() - 1), 0));
    ByteBuf longer = input(Unpooled.buffer().writeBytes(ping.duplicate()).writeByte(0));
    assertThrows(IllegalArgumentException.class, () -> FrameReader.read(longer, 0));
    ByteBuf stub = input(Unpooled.buffer().writeShort(0));
    assertThrows(IllegalArgumentException.class, () -> FrameReader.read(stub, 0));
  }

  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }
}
