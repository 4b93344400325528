package dev.lifeline.testing.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.testing.ChaosSpec.Mode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.File;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChaosHandlerTest {

  private final RecordingListener listener = new RecordingListener();
  private EmbeddedChannel channel;

  private EmbeddedChannel channel(long budget, Mode mode) {
    channel = new EmbeddedChannel(new ChaosHandler(budget, mode, listener));
    return channel;
  }

  @AfterEach
  void releaseEverything() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, US_ASCII);
  }

  /** Reads and releases one message the channel let through. */
  private static String take(ByteBuf buf) {
    try {
      return buf.toString(US_ASCII);
    } finally {
      buf.release();
    }
  }

  @ParameterizedTest
  @EnumSource(value = Mode.class, names = {"RST", "FIN", "BLACKHOLE"})
  void inboundBufferIsSplitSoExactlyTheBudgetPasses(Mode mode) {
    final EmbeddedChannel ch = channel(10, mode);
    final ByteBuf second = ascii("GHIJKLMN");
    ch.writeInbound(ascii("ABCDEF"));
    assertEquals("ABCDEF", take(ch.readInbound()));
    assertTrue(listener.events.isEmpty(), "cut too early: " + listener.events);

    ch.writeInbound(second);

    assertEquals("GHIJ", take(ch.readInbound()));
    assertNull(ch.readInbound());
    assertEquals(0, second.refCnt(), "original buffer must be released");
    assertEquals(List.of("cut " + mode + " 10"), listener.events);
    assertEquals(mode == Mode.BLACKHOLE, ch.isOpen(), "open after " + mode);
  }

  @ParameterizedTest
  @EnumSource(value = Mode.class, names = {"RST", "FIN", "BLACKHOLE"})
  void outboundBufferIsSplitAndBothDirectionsShareTheBudget(Mode mode) {
    final EmbeddedChannel ch = channel(10, mode);
    ch.writeInbound(ascii("1234"));
    take(ch.readInbound());
    final ByteBuf out = ascii("abcdefgh");

    final ChannelFuture written = ch.writeAndFlush(out);

    assertEquals("abcdef", take(ch.readOutbound()));
    assertNull(ch.readOutbound());
    assertTrue(written.isSuccess(), "the part within budget was written");
    assertEquals(0, out.refCnt());
    assertEquals(List.of("cut " + mode + " 10"), listener.events);
  }

  @Test
  void exactFitPassesWholeBufferThenCuts() {
    final EmbeddedChannel ch = channel(5, Mode.RST);
    final ByteBuf buf = ascii("12345");
    ch.writeInbound(buf);
    assertEquals("12345", take(ch.readInbound()));
    assertFalse(ch.isOpen());
    assertEquals(List.of("cut RST 5"), listener.events);
  }

  @ParameterizedTest
  @EnumSource(value = Mode.class, names = {"RST", "FIN"})
  void afterCloseCutNothingPassesAndWritesFail(Mode mode) {
    final EmbeddedChannel ch = channel(3, mode);
    ch.writeInbound(ascii("abcd"));
    take(ch.readInbound());
    final ByteBuf late = ascii("late");

    final ChannelFuture f = ch.writeAndFlush(late);

    assertInstanceOf(ClosedChannelException.class, f.cause());
    assertEquals(0, late.refCnt());
    assertNull(ch.readOutbound());
  }

  @Test
  void blackholeStopsBeingWritableOnceASocketBufferIsSwallowed() {
    final EmbeddedChannel ch = channel(0, Mode.BLACKHOLE);
    final int chunk = 64 * 1024;
    long written = 0;
    while (ch.isWritable() && written < 2 * ChaosHandler.BLACKHOLE_ACCEPTS) {
      assertTrue(ch.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(new byte[chunk]))
          .isSuccess(), "a black hole reports every write done");
      written += chunk;
    }
    assertEquals(ChaosHandler.BLACKHOLE_ACCEPTS, written,
        "unwritable once a socket buffer's worth went into the hole, not before, not after");
    assertTrue(ch.isOpen());
    assertNull(ch.readOutbound(), "nothing left through the hole");
  }

  @Test
  void blackholeDiscardsBothWaysAndStaysOpen() {
    final EmbeddedChannel ch = channel(5, Mode.BLACKHOLE);
    ch.writeAndFlush(ascii("12345678"));
    assertEquals("12345", take(ch.readOutbound()));

    final ByteBuf in = ascii("inbound");
    final ByteBuf out = ascii("outbound");
    ch.writeInbound(in);
    final ChannelFuture written = ch.writeAndFlush(out);
    ch.runPendingTasks();

    assertNull(ch.readInbound());
    assertNull(ch.readOutbound());
    assertEquals(0, in.refCnt());
    assertEquals(0, out.refCnt());
    assertTrue(written.isSuccess(), "a black hole reports success");
    assertTrue(ch.isOpen() && ch.isActive());
    ch.close();
    assertEquals(List.of("cut BLACKHOLE 5"), listener.events, "reported once");
  }

  @Test
  void zeroBudgetCutsAsSoonAsActive() {
    final EmbeddedChannel ch = channel(0, Mode.RST);
    assertFalse(ch.isOpen());
    assertEquals(List.of("cut RST 0"), listener.events);
  }

  @Test
  void zeroBudgetBlackholeNeverLetsAByteThrough() {
    final EmbeddedChannel ch = channel(0, Mode.BLACKHOLE);
    final ByteBuf in = ascii("x");
    ch.writeInbound(in);
    ch.writeAndFlush(ascii("y"));
    assertNull(ch.readInbound());
    assertNull(ch.readOutbound());
    assertEquals(0, in.refCnt());
    assertTrue(ch.isOpen());
    assertEquals(List.of("cut BLACKHOLE 0"), listener.events);
  }

  @Test
  void connectionEndingBeforeItsCutIsReportedOnce() {
    final EmbeddedChannel ch = channel(100, Mode.RST);
    ch.writeInbound(ascii("abc"));
    take(ch.readInbound());
    ch.writeAndFlush(ascii("de"));
    take(ch.readOutbound());
    ch.close(); // inactive, then deregistration removes the handler: two chances to report
    assertEquals(List.of("uncut 5"), listener.events);
  }

  @Test
  void handlerRemovedBeforeItsCutIsReported() {
    final EmbeddedChannel ch = channel(100, Mode.FIN);
    ch.pipeline().remove(ChaosHandler.class);
    assertEquals(List.of("uncut 0"), listener.events);
  }

  @Test
  void otherMessagesPassUncounted() {
    final EmbeddedChannel ch = channel(3, Mode.RST);
    ch.writeInbound("a string, not bytes");
    assertEquals("a string, not bytes", ch.readInbound());
    ch.writeInbound(ascii("ab"));
    take(ch.readInbound());
    assertTrue(ch.isOpen());
    assertTrue(listener.events.isEmpty());
  }

  @Test
  void regionThatFitsPassesAndOneThatDoesNotIsDropped(@TempDir Path dir) throws Exception {
    final File file = Files.write(dir.resolve("data"), new byte[100]).toFile();
    final EmbeddedChannel ch = channel(150, Mode.RST);
    final FileRegion fits = new DefaultFileRegion(file, 0, 100);
    final FileRegion tooBig = new DefaultFileRegion(file, 0, 100);

    ch.writeAndFlush(fits);
    final ChannelFuture f = ch.writeAndFlush(tooBig);

    final FileRegion out = ch.readOutbound();
    assertEquals(100, out.count());
    out.release();
    assertNull(ch.readOutbound());
    assertInstanceOf(ClosedChannelException.class, f.cause());
    assertEquals(0, tooBig.refCnt());
    assertEquals(List.of("cut RST 150"), listener.events);
  }

  @Test
  void refusesMixAndNegativeBudget() {
    assertThrows(
        IllegalArgumentException.class, () -> new ChaosHandler(1, Mode.MIX, listener));
    assertThrows(
        IllegalArgumentException.class, () -> new ChaosHandler(-1, Mode.RST, listener));
  }

  @Test
  void accessorsTrackProgress() {
    final ChaosHandler handler = new ChaosHandler(8, Mode.FIN, listener);
    channel = new EmbeddedChannel(handler);
    channel.writeInbound(ascii("abc"));
    take(channel.readInbound());
    assertEquals(3, handler.bytesPassed());
    assertFalse(handler.isCut());
    channel.writeInbound(ascii("defghijk"));
    take(channel.readInbound());
    assertEquals(8, handler.bytesPassed());
    assertTrue(handler.isCut());
    assertEquals(Mode.FIN, handler.mode());
    assertEquals(8, handler.cutAfterBytes());
  }
}
