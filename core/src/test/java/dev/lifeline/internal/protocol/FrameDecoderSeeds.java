package dev.lifeline.internal.protocol;

import dev.lifeline.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes the seed corpus of {@link FrameDecoderFuzzTest} and of the resume exchange fuzzer: well
 * formed frame streams of every type, and a few classic malformations, in the fuzzers' input
 * layout (limit byte, chunk byte, wire bytes). Run once by hand; the files are committed.
 *
 * <pre>java -cp core/target/test-classes:core/target/classes:$(deps) \
 *   dev.lifeline.internal.protocol.FrameDecoderSeeds core/src/test/resources</pre>
 */
public final class FrameDecoderSeeds {
  private FrameDecoderSeeds() {}

  static final byte[] TOKEN = filled(32, 7);

  static Frame.StreamState state(long received, long checkpoint, long replayFrom) {
    return new Frame.StreamState(received, checkpoint, "offset=4096".getBytes(StandardCharsets.UTF_8),
        replayFrom);
  }

  /** The wire bytes of {@code frames}. */
  public static byte[] wire(Frame... frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Frame f : frames) {
      if (f instanceof Frame.Data d) {
        ByteBuf h = Unpooled.buffer().writeInt(FrameDescriptor.dataFrameLength(
            d.payload().readableBytes())).writeByte(FrameDescriptor.VERSION)
            .writeByte(FrameDescriptor.DATA).writeLong(d.seq());
        out.writeBytes(ByteBufUtil.getBytes(h));
        out.writeBytes(ByteBufUtil.getBytes(d.payload()));
        d.release();
      } else {
        ByteBuf b = FrameEncoder.encode(UnpooledByteBufAllocator.DEFAULT, f);
        out.writeBytes(ByteBufUtil.getBytes(b));
        b.release();
      }
    }
    return out.toByteArray();
  }

  static byte[] seed(int limit, int chunk, byte[] wire) {
    byte[] s = new byte[wire.length + 2];
    s[0] = (byte) limit;
    s[1] = (byte) chunk;
    System.arraycopy(wire, 0, s, 2, wire.length);
    return s;
  }

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0], "dev/lifeline/internal/protocol/FrameDecoderFuzzTestInputs/decode");
    Files.createDirectories(dir);
    byte[] handshake = wire(new Frame.Hello(1, 65_546, "lifeline/0.1"),
        new Frame.Open(65_546, "alice".getBytes(StandardCharsets.UTF_8)),
        new Frame.Resume("AbCdEfGhIjKlMnOpQrStUv", TOKEN, new byte[0], state(41, 40, 17)),
        new Frame.Opened("AbCdEfGhIjKlMnOpQrStUv", TOKEN),
        new Frame.Resumed(TOKEN, state(3, 2, FrameDescriptor.NO_REPLAY)),
        new Frame.Confirm());
    Files.write(dir.resolve("handshake-one-byte-chunks"), seed(1, 0, handshake));
    Files.write(dir.resolve("handshake-whole"), seed(1, 255, handshake));
    byte[] data = wire(new Frame.Data(1, Unpooled.copiedBuffer("first", StandardCharsets.UTF_8)),
        new Frame.Ack(1), new Frame.Data(2, Unpooled.buffer(0)), new Frame.Ping(7),
        new Frame.Pong(7), new Frame.Data(3, Unpooled.wrappedBuffer(new byte[5000])),
        new Frame.Close(ErrorCode.NORMAL, "bye ✓"));
    Files.write(dir.resolve("established"), seed(2, 3, data));
    Files.write(dir.resolve("established-small-limit"), seed(0, 1, data));
    byte[] tooLarge = Arrays.copyOf(wire(new Frame.Ack(1)), 14);
    tooLarge[0] = 0x7f;
    Files.write(dir.resolve("length-too-large"), seed(0, 0, tooLarge));
    byte[] truncated = wire(new Frame.Resume("s", TOKEN, new byte[0], state(1, 1, 1)));
    truncated[3] -= 9;
    Files.write(dir.resolve("resume-truncated-body"), seed(1, 7, Arrays.copyOf(truncated,
        truncated.length - 9)));
    byte[] badVersion = wire(new Frame.Ping(1));
    badVersion[4] = 2;
    Files.write(dir.resolve("unsupported-version"), seed(1, 255, badVersion));
    byte[] unknownType = wire(new Frame.Ping(1));
    unknownType[5] = 0x7e;
    Files.write(dir.resolve("unknown-type-then-more"), seed(1, 255,
        concat(unknownType, wire(new Frame.Ack(2)))));
    resumeSeeds(Path.of(args[0],
        "dev/lifeline/internal/session/ResumeExchangeFuzzTestInputs/clientBytes"));
  }

  /** Seeds of the resume exchange fuzzer: chunk byte, then what a client sends. */
  static void resumeSeeds(Path dir) throws IOException {
    Files.createDirectories(dir);
    byte[] tokenA = filled(32, 7);
    byte[] tokenB = filled(32, 8);
    String idA = "A".repeat(22);
    String idB = "B".repeat(22);
    byte[] none = new byte[0];
    Files.write(dir.resolve("open-then-data"), seed(0, wire(new Frame.Open(70_000, none),
        new Frame.Data(1, Unpooled.copiedBuffer("hi", StandardCharsets.UTF_8)), new Frame.Ack(0),
        new Frame.Ping(1))));
    Files.write(dir.resolve("resume-a-continue-confirm"), seed(0, wire(
        new Frame.Resume(idA, tokenA, none, new Frame.StreamState(0, 0, none, 1)),
        new Frame.Confirm(), new Frame.Ack(3),
        new Frame.Data(1, Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)))));
    Files.write(dir.resolve("resume-a-client-restarted"), seed(0, wire(
        new Frame.Resume(idA, tokenA, none, new Frame.StreamState(2, 1, new byte[] {1},
            FrameDescriptor.NO_REPLAY)), new Frame.Confirm())));
    Files.write(dir.resolve("resume-a-wants-unsent"), seed(255, wire(
        new Frame.Resume(idA, tokenA, none, new Frame.StreamState(9, 9, none, 1)))));
    Files.write(dir.resolve("resume-b-restored"), seed(0, wire(
        new Frame.Resume(idB, tokenB, none, new Frame.StreamState(2, 2, none, 3)),
        new Frame.Confirm(), new Frame.Data(6, Unpooled.copiedBuffer("y", StandardCharsets.UTF_8)),
        new Frame.Ack(2))));
    Files.write(dir.resolve("resume-wrong-token"), seed(255, wire(
        new Frame.Resume(idA, tokenB, none, new Frame.StreamState(0, 0, none, 1)))));
    Files.write(dir.resolve("resume-unknown-session"), seed(255, wire(
        new Frame.Resume("no-such-session", tokenA, none, new Frame.StreamState(0, 0, none, 1)))));
    Files.write(dir.resolve("data-before-open"), seed(255, wire(
        new Frame.Data(1, Unpooled.copiedBuffer("z", StandardCharsets.UTF_8)))));
    Files.write(dir.resolve("resume-twice"), seed(255, wire(
        new Frame.Resume(idA, tokenA, none, new Frame.StreamState(0, 0, none, 1)),
        new Frame.Resume(idA, tokenA, none, new Frame.StreamState(0, 0, none, 1)))));
  }

  static byte[] seed(int chunk, byte[] wire) {
    byte[] s = new byte[wire.length + 1];
    s[0] = (byte) chunk;
    System.arraycopy(wire, 0, s, 1, wire.length);
    return s;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  static byte[] filled(int n, int v) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) v);
    return b;
  }
}
