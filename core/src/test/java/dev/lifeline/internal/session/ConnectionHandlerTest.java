package dev.lifeline.internal.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.Authenticator;
import dev.lifeline.ErrorCode;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.InMemoryCheckpointStore;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ConnectionHandler} in an {@link EmbeddedChannel}: heartbeats on idle events (fired by
 * hand, and from a real {@link Heartbeat} on frozen, advanced time), the frames of an
 * established session, writes coalesced into one flush, and failures turned into one CLOSE
 * frame.
 */
class ConnectionHandlerTest {

  /** The smallest concrete handler: records handshake-phase frames. */
  static final class TestHandler extends ConnectionHandler {
    final List<Frame> handshakeFrames = new ArrayList<>();
    final ConnectionLog connectionLog = new ConnectionLog("test", null, 60_000);

    @Override
    protected ConnectionLog connectionLog() {
      return connectionLog;
    }

    @Override
    protected dev.lifeline.HandshakeEvent.Side side() {
      return dev.lifeline.HandshakeEvent.Side.SERVER;
    }

    @Override
    protected void handshakeFrame(ChannelHandlerContext ctx, Frame frame) {
      handshakeFrames.add(frame);
    }
  }

  static final class NoPersistence implements SessionPersistence {
    @Override
    public CompletableFuture<Void> commit(Checkpoint checkpoint) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public byte[] attributes() {
      return new byte[0];
    }

    @Override
    public CompletableFuture<Void> setAttributes(byte[] attributes) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void released(SessionCore session, boolean forget) {}
  }

  /** Application callbacks wait here until the test runs them. */
  private final Queue<Runnable> appTasks = new ArrayDeque<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<String> delivered = new ArrayList<>();
  private final List<Throwable> disconnects = new ArrayList<>();
  private EmbeddedChannel ch;
  private MockTicker clock;

  @AfterEach
  void tearDown() {
    if (ch != null) {
      ch.finishAndReleaseAll();
    }
    timer.shutdownNow();
  }

  private SessionCore newSession(long inboundQueueBytes) {
    SessionConfig config = new SessionConfig(1024, 64 * 1024, inboundQueueBytes, appTasks::add, timer);
    SessionHandler app = new SessionHandler() {
      @Override
      public void onMessage(dev.lifeline.Session session, long seq, java.nio.ByteBuffer message) {
        delivered.add(seq + ":" + UTF_8.decode(message));
      }

      @Override
      public void onDisconnected(dev.lifeline.Session session, Throwable cause) {
        disconnects.add(cause);
      }
    };
    SessionCore core = new SessionCore(config, app, new NoPersistence());
    core.assignId("test-session");
    return core;
  }

  /** A channel whose handler has an attached session; the ACK written on attach is drained. */
  private TestHandler established(long inboundQueueBytes) throws Exception {
    TestHandler handler = new TestHandler();
    ch = new EmbeddedChannel(handler);
    handler.sessionAttached(newSession(inboundQueueBytes));
    handler.session.attach(ch, null, false, null);
    ch.runPendingTasks();
    outbound();
    return handler;
  }

  private List<Frame> outbound() {
    ch.runPendingTasks();
    List<Frame> frames = new ArrayList<>();
    for (Object o; (o = ch.readOutbound()) != null; ) {
      frames.add((Frame) o);
    }
    return frames;
  }

  private void runAppTasks() {
    for (Runnable r; (r = appTasks.poll()) != null; ) {
      r.run();
    }
    ch.runPendingTasks();
  }

  private static Frame.Close onlyClose(List<Frame> frames) {
    assertEquals(1, frames.size(), frames.toString());
    return assertInstanceOf(Frame.Close.class, frames.get(0));
  }

  @Test
  void pingDueSendsPingOnlyOnceASessionIsAttached() throws Exception {
    ch = new EmbeddedChannel(new TestHandler());
    ch.pipeline().fireUserEventTriggered(Heartbeat.PING_DUE);
    assertTrue(outbound().isEmpty(), "no heartbeat before OPENED/RESUMED");
    ch.finishAndReleaseAll();

    established(1024);
    ch.pipeline().fireUserEventTriggered(Heartbeat.PING_DUE);
    ch.pipeline().fireUserEventTriggered(Heartbeat.PING_DUE);
    List<Frame> frames = outbound();
    assertEquals(2, frames.size(), frames.toString());
    assertEquals(1, assertInstanceOf(Frame.Ping.class, frames.get(0)).opaque());
    assertEquals(2, assertInstanceOf(Frame.Ping.class, frames.get(1)).opaque());
    assertTrue(ch.isActive());
  }

  @Test
  void readerIdleClosesWithTimeout() throws Exception {
    established(1024);
    ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    Frame.Close close = onlyClose(outbound());
    assertEquals(ErrorCode.TIMEOUT, close.code());
    assertFalse(ch.isActive());
  }

  /** A black-holed peer never lets the CLOSE leave; the connection is closed regardless. */
  @Test
  void readerIdleClosesEvenWhenTheCloseFrameCannotLeave() throws Exception {
    TestHandler handler = new TestHandler();
    List<io.netty.channel.ChannelPromise> stuck = new ArrayList<>();
    ch = new EmbeddedChannel(new io.netty.channel.ChannelOutboundHandlerAdapter() {
      @Override
      public void write(ChannelHandlerContext ctx, Object msg,
          io.netty.channel.ChannelPromise promise) {
        io.netty.util.ReferenceCountUtil.release(msg);
        stuck.add(promise); // never completed, as behind a full TCP send buffer
      }
    }, handler);
    ch.freezeTime();
    handler.sessionAttached(newSession(1024));
    handler.session.attach(ch, null, false, null);
    ch.runPendingTasks();
    ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    ch.runPendingTasks();
    assertTrue(ch.isActive(), "still waiting for the CLOSE to leave");
    ch.advanceTimeBy(ConnectionHandler.CLOSE_WRITE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertFalse(ch.isActive());
    assertFalse(stuck.isEmpty());
  }

  @Test
  void readerIdleDuringTheHandshakePhaseClosesToo() {
    ch = new EmbeddedChannel(new TestHandler());
    ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    assertEquals(ErrorCode.TIMEOUT, onlyClose(outbound()).code());
    assertFalse(ch.isActive());
  }

  @Test
  void readerIdleIsIgnoredWhileReadingIsPausedForASlowApplication() throws Exception {
    TestHandler handler = established(10);
    ch.writeInbound(new Frame.Data(1, Unpooled.copiedBuffer("a message over the bound", UTF_8)));
    assertTrue(handler.session.isReadPaused());
    assertFalse(ch.config().isAutoRead());

    ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    assertTrue(outbound().isEmpty(), "no CLOSE while the application is behind");
    assertTrue(ch.isActive());

    runAppTasks(); // the application catches up: reading resumes and the message is acknowledged
    assertEquals(List.of("1:a message over the bound"), delivered);
    assertFalse(handler.session.isReadPaused());
    assertTrue(ch.config().isAutoRead());
    List<Frame> frames = outbound();
    assertEquals(1, assertInstanceOf(Frame.Ack.class, frames.get(frames.size() - 1)).seq());

    ch.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
    assertEquals(ErrorCode.TIMEOUT, onlyClose(outbound()).code());
  }

  @Test
  void theInboundQueueCountsTheMemoryAMessageKeepsNotItsPayload() throws Exception {
    // A one-byte message that keeps a 1 MiB read buffer alive fills a 64 KiB queue at once; the
    // same byte charged only itself does not.
    TestHandler handler = established(64 * 1024);
    ch.writeInbound(new Frame.Data(1, Unpooled.copiedBuffer("a", UTF_8), 1));
    assertFalse(handler.session.isReadPaused());
    ch.writeInbound(new Frame.Data(2, Unpooled.copiedBuffer("b", UTF_8), 1024 * 1024));
    assertTrue(handler.session.isReadPaused());
    assertFalse(ch.config().isAutoRead());

    runAppTasks(); // delivered and released: the charge goes with them
    assertEquals(List.of("1:a", "2:b"), delivered);
    assertFalse(handler.session.isReadPaused());
    assertTrue(ch.config().isAutoRead());
  }

  /** A channel with the real heartbeat clock in front, on frozen time, session attached. */
  private TestHandler withHeartbeat(long idleMillis) throws Exception {
    TestHandler handler = new TestHandler();
    // A mock clock from the start: the heartbeat reads the clock when the channel becomes
    // active, and with freezeTime() after build() a thread descheduled between the two moved its
    // deadlines early (a PING 299 ms in, in a loaded run).
    clock = Ticker.newMockTicker();
    ch = EmbeddedChannel.builder().handlers(new Heartbeat(idleMillis), handler).ticker(clock)
        .build();
    handler.sessionAttached(newSession(1024));
    handler.session.attach(ch, null, false, null);
    outbound();
    return handler;
  }

  private List<Frame> after(long millis) {
    clock.advance(millis, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    return outbound();
  }

  @Test
  void heartbeatsFollowTheHeartbeatClockOnControlledTime() throws Exception {
    withHeartbeat(900);
    assertTrue(after(299).isEmpty());
    assertInstanceOf(Frame.Ping.class, after(1).get(0), "PING after 300 ms without reading");

    // The peer answers: reading something resets the read-idle clock.
    assertTrue(after(100).isEmpty(), "one PING per third of the timeout, not more");
    ch.writeInbound(new Frame.Pong(1));
    assertTrue(after(299).isEmpty(), "the PONG put the next PING off");
    assertInstanceOf(Frame.Ping.class, after(1).get(0), "300 ms after the PONG");
    assertInstanceOf(Frame.Ping.class, after(300).get(0), "again while nothing arrives");
    assertTrue(ch.isActive(), "still alive: the PONG arrived 600 ms ago");

    List<Frame> frames = after(300); // 900 ms of silence
    Frame.Close close = assertInstanceOf(Frame.Close.class, frames.get(frames.size() - 1));
    assertEquals(ErrorCode.TIMEOUT, close.code());
    assertFalse(ch.isActive());
  }

  /**
   * Only one side of an idle connection pings: after answering the peer's PING, this side waits
   * half its timeout (not a third) before a PING of its own, so a peer pinging every third of the
   * same timeout always comes first. (IdleStateHandler's writer idle pinged a third of the
   * timeout after the PONG: both sides pinged.)
   */
  @Test
  void aSideAnsweringThePeersPingsSendsNoPingOfItsOwn() throws Exception {
    withHeartbeat(900);
    for (int i = 0; i < 6; i++) {
      assertTrue(after(i == 0 ? 100 : 299).isEmpty());
      ch.writeInbound(new Frame.Ping(i));
      assertEquals(List.of(new Frame.Pong(i)), outbound());
    }
    assertTrue(after(449).isEmpty(), "no PING within half the timeout of the peer's");
    assertInstanceOf(Frame.Ping.class, after(1).get(0), "the peer stopped: this side pings");
    assertTrue(ch.isActive());
  }

  /** Frames read keep the connection quiet however long this side writes nothing. */
  @Test
  void aSideThatOnlyReadsSendsNoPing() throws Exception {
    TestHandler handler = withHeartbeat(900);
    handler.session.setAutoAck(false); // nothing to write back
    for (int seq = 1; seq <= 10; seq++) {
      ch.writeInbound(new Frame.Data(seq, Unpooled.copiedBuffer("m" + seq, UTF_8)));
      assertTrue(after(250).isEmpty(), "no PING while DATA arrives every 250 ms");
    }
    runAppTasks();
    assertEquals(10, delivered.size());
  }

  /** A side that reads nothing pings, however much it writes (its writes prove nothing). */
  @Test
  void aSideThatOnlyWritesPingsAndTimesOut() throws Exception {
    TestHandler handler = withHeartbeat(900);
    List<Frame> written = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      handler.session.trySend(("m" + i).getBytes(UTF_8));
      written.addAll(outbound());
      written.addAll(after(300));
    }
    assertEquals(2, written.stream().filter(f -> f instanceof Frame.Ping).count(),
        written.toString());
    assertEquals(ErrorCode.TIMEOUT, assertInstanceOf(Frame.Close.class,
        written.get(written.size() - 1)).code());
    written.forEach(f -> {
      if (f instanceof Frame.Data d) {
        d.release();
      }
    });
  }

  /** What goes out while time moves on {@code millis} ms, one at a time as a real clock would. */
  private List<Frame> millisecondByMillisecond(long millis) {
    List<Frame> frames = new ArrayList<>();
    for (long i = 0; i < millis; i++) {
      frames.addAll(after(1));
    }
    return frames;
  }

  /**
   * The promise {@code ProxyFaultsTest}'s black hole relies on, on exact time: a quiet session
   * kept alive by PING and PONG whose peer falls silent (what this side writes is lost, nothing
   * comes back) is closed as half-open one idle timeout after the last frame it read, not a
   * millisecond earlier or later; so within the idle timeout of the hole, wherever in the
   * heartbeat cycle it opens. A message sent into the hole does not put the close off.
   */
  @Test
  void aBlackHoledPeerIsClosedOneIdleTimeoutAfterTheLastFrameItSent() throws Exception {
    for (long holeAfterPong : new long[] {0, 1, 150, 299}) {
      String when = "hole " + holeAfterPong + " ms after the last PONG: ";
      TestHandler handler = withHeartbeat(900);
      for (int i = 1; i <= 3; i++) { // a quiet session: only heartbeats cross it
        assertEquals(List.of(new Frame.Ping(i)), after(300), when);
        ch.writeInbound(new Frame.Pong(i));
      }
      // The last frame from the peer was read just now; the hole opens holeAfterPong later.
      List<Frame> intoTheHole = new ArrayList<>(millisecondByMillisecond(holeAfterPong));
      handler.session.trySend("lost in the hole".getBytes(UTF_8));
      intoTheHole.addAll(outbound());
      intoTheHole.addAll(millisecondByMillisecond(899 - holeAfterPong));
      assertTrue(intoTheHole.stream().noneMatch(f -> f instanceof Frame.Close), when + intoTheHole);
      assertTrue(ch.isActive(), when + "closed before the idle timeout");
      assertEquals(2, intoTheHole.stream().filter(f -> f instanceof Frame.Ping).count(),
          when + intoTheHole);
      releaseAll(intoTheHole);

      List<Frame> last = after(1);
      assertEquals(ErrorCode.TIMEOUT, onlyClose(last).code(), when);
      assertFalse(ch.isActive(), when);
      assertEquals(ErrorCode.TIMEOUT,
          assertInstanceOf(ProtocolException.class, handler.closeCause).code(), when);
      runAppTasks();
      assertEquals(1, disconnects.size(), when + "the application hears of it once");
      assertEquals(ErrorCode.TIMEOUT,
          assertInstanceOf(ProtocolException.class, disconnects.remove(0)).code(), when);
      ch.finishAndReleaseAll();
      ch = null;
    }
  }

  /**
   * The race {@code BackpressureTest} lost once in a fresh-clone run: reading paused for a slow
   * application past several idle timeouts, then resumed just before the heartbeat's next check.
   * Nothing could be read while paused, so the connection was closed as half-open at that check,
   * a moment after reading resumed. The idle clock restarts when reading resumes: the peer gets
   * one whole idle timeout from then, wherever in the heartbeat cycle the application caught up.
   */
  @Test
  void resumedReadingGetsAWholeIdleTimeoutBeforeTheConnectionCountsAsHalfOpen() throws Exception {
    for (long resumeBeforeCheck : new long[] {1, 100, 899}) {
      String when = "resumed " + resumeBeforeCheck + " ms before the idle check: ";
      TestHandler handler = withHeartbeat(900);
      ch.writeInbound(new Frame.Data(1, Unpooled.copiedBuffer("m1", UTF_8), 4096));
      assertTrue(handler.session.isReadPaused(), when);
      List<Frame> paused = new ArrayList<>(after(1800)); // two idle timeouts, application stuck
      paused.addAll(after(900 - resumeBeforeCheck));
      assertTrue(paused.stream().noneMatch(f -> f instanceof Frame.Close), when + paused);

      runAppTasks(); // the application catches up: reading resumes
      assertFalse(handler.session.isReadPaused(), when);
      List<Frame> resumed = millisecondByMillisecond(899);
      assertTrue(resumed.stream().noneMatch(f -> f instanceof Frame.Close), when + resumed);
      assertTrue(ch.isActive(), when + "closed as half-open although reading had just resumed");

      assertEquals(ErrorCode.TIMEOUT, onlyClose(after(1)).code(),
          when + "nothing read for a whole idle timeout after the resume");
      ch.finishAndReleaseAll();
      ch = null;
      delivered.clear();
      disconnects.clear();
    }
  }

  /**
   * A resume on a new connection takes the session over while the old connection is still open
   * (the client noticed a black hole long before the server did): the old one is closed, and its
   * end must leave the session alone, as it is no longer attached there.
   */
  @Test
  void aConnectionReplacedByAResumeEndsWithoutDetachingItsSession() throws Exception {
    TestHandler first = established(1024);
    EmbeddedChannel old = ch;
    TestHandler second = new TestHandler();
    ch = new EmbeddedChannel(second);
    second.sessionAttached(first.session);
    second.session.attach(ch, new Frame.StreamState(0, 0, new byte[0], 1), false, null);
    old.runPendingTasks();
    assertFalse(old.isActive(), "the takeover closed the old connection");
    old.finishAndReleaseAll();

    runAppTasks();
    assertTrue(disconnects.isEmpty(), "the old connection's end was not the session's: "
        + disconnects);
    assertTrue(second.session.isConnected());
    assertTrue(second.session.isAttachedTo(ch));
    outbound();
    ch.writeInbound(new Frame.Data(1, Unpooled.copiedBuffer("after the takeover", UTF_8)));
    runAppTasks();
    assertEquals(List.of("1:after the takeover"), delivered);
  }

  /** Records what goes out between flushes, and whether the pipeline was asked to close. */
  static final class FlushRecorder extends io.netty.channel.ChannelOutboundHandlerAdapter {
    final List<List<Frame>> flushes = new ArrayList<>();
    private List<Frame> pending = new ArrayList<>();
    int closes;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise p) {
      pending.add((Frame) msg);
      ctx.write(msg, p);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
      if (!pending.isEmpty()) {
        flushes.add(pending);
        pending = new ArrayList<>();
      }
      ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, io.netty.channel.ChannelPromise p) {
      closes++;
      ctx.close(p);
    }
  }

  private void releaseAll(List<Frame> frames) {
    frames.forEach(f -> {
      if (f instanceof Frame.Data d) {
        d.release();
      }
    });
  }

  /**
   * A resume answers with RESUMED, the ACK and the replayed messages in one flush (one TLS
   * record, one write), in that order; they used to leave in three.
   */
  @Test
  void resumeWritesAnswerAckAndReplayInOneFlush() throws Exception {
    FlushRecorder recorder = new FlushRecorder();
    TestHandler handler = new TestHandler();
    ch = new EmbeddedChannel(recorder, handler);
    SessionCore core = newSession(1024);
    handler.sessionAttached(core);
    core.trySend("one".getBytes(UTF_8)); // queued while disconnected
    core.trySend("two".getBytes(UTF_8));
    Frame.StreamState peer = new Frame.StreamState(0, 0, new byte[0], 1);
    core.attach(ch, peer, true, mine -> new Frame.Resumed(new byte[32], mine));
    ch.runPendingTasks();
    List<Frame> frames = outbound();
    try {
      assertEquals(1, recorder.flushes.size(), recorder.flushes.toString());
      assertEquals(4, frames.size(), frames.toString());
      assertInstanceOf(Frame.Resumed.class, frames.get(0));
      assertEquals(new Frame.Ack(0), frames.get(1));
      assertEquals(1, assertInstanceOf(Frame.Data.class, frames.get(2)).seq());
      assertEquals(2, assertInstanceOf(Frame.Data.class, frames.get(3)).seq());
      assertEquals("one", assertInstanceOf(Frame.Data.class, frames.get(2)).payload()
          .toString(UTF_8));
    } finally {
      releaseAll(frames);
    }
  }

  /**
   * An answer sent from onMessage and the ACK of the message it answers leave in one flush, the
   * ACK first, whatever order the application thread asked for them in.
   */
  @Test
  void anEchoAndItsAckLeaveInOneFlush() throws Exception {
    FlushRecorder recorder = new FlushRecorder();
    TestHandler handler = new TestHandler();
    ch = new EmbeddedChannel(recorder, handler);
    SessionConfig config = new SessionConfig(1024, 64 * 1024, 1024, appTasks::add, timer);
    SessionHandler echo = (session, seq, message) -> session.trySend(message);
    handler.sessionAttached(new SessionCore(config, echo, new NoPersistence()));
    handler.session.attach(ch, null, false, null);
    outbound();
    recorder.flushes.clear();
    for (int seq = 1; seq <= 3; seq++) {
      ch.writeInbound(new Frame.Data(seq, Unpooled.copiedBuffer("m" + seq, UTF_8)));
      runAppTasks(); // onMessage sends the echo, then the delivery asks for the ACK
      List<Frame> frames = outbound();
      try {
        assertEquals(2, frames.size(), frames.toString());
        assertEquals(new Frame.Ack(seq), frames.get(0));
        Frame.Data data = assertInstanceOf(Frame.Data.class, frames.get(1));
        assertEquals(seq, data.seq());
        assertEquals("m" + seq, data.payload().toString(UTF_8));
      } finally {
        releaseAll(frames);
      }
    }
    assertEquals(3, recorder.flushes.size(), "one flush per echo: " + recorder.flushes);
  }

  /**
   * A reset socket is closed by Netty's transport, without writing: the handler must not close
   * it through the pipeline first (TLS would wrap a close_notify and try to send it into the dead
   * socket). If the transport does not close it, the handler still does, afterwards.
   */
  @Test
  void aSocketErrorLeavesTheCloseToTheTransport() throws Exception {
    FlushRecorder recorder = new FlushRecorder();
    TestHandler handler = new TestHandler();
    ch = new EmbeddedChannel(recorder, handler);
    handler.sessionAttached(newSession(1024));
    handler.session.attach(ch, null, false, null);
    outbound();
    ch.pipeline().fireExceptionCaught(new java.io.IOException("Connection reset by peer"));
    assertEquals(0, recorder.closes, "no close through the pipeline at once");
    ch.unsafe().close(ch.unsafe().voidPromise()); // what the transport does after a failed read
    ch.runPendingTasks();
    assertFalse(ch.isOpen());
    assertEquals(0, recorder.closes, "nothing written or closed through the pipeline");
    assertTrue(outbound().isEmpty());
    assertFalse(handler.session.isConnected());

    // An I/O error the transport does not act on: closed all the same, once the task ran.
    FlushRecorder second = new FlushRecorder();
    ch = new EmbeddedChannel(second, new TestHandler());
    ch.pipeline().fireExceptionCaught(new java.io.IOException("somewhere else"));
    assertTrue(ch.isOpen());
    ch.runPendingTasks();
    assertFalse(ch.isOpen());
    assertEquals(1, second.closes);
  }

  @Test
  void pingIsAnsweredWithTheSameOpaque() throws Exception {
    established(1024);
    ch.writeInbound(new Frame.Ping(0xCAFEL));
    assertEquals(0xCAFEL, assertInstanceOf(Frame.Pong.class, outbound().get(0)).opaque());
  }

  @Test
  void dataIsDeliveredInOrderAndDuplicatesAreDropped() throws Exception {
    established(1024);
    ch.writeInbound(new Frame.Data(1, Unpooled.copiedBuffer("one", UTF_8)));
    ch.writeInbound(new Frame.Data(1, Unpooled.copiedBuffer("one again", UTF_8)));
    ch.writeInbound(new Frame.Data(2, Unpooled.copiedBuffer("two", UTF_8)));
    runAppTasks();
    assertEquals(List.of("1:one", "2:two"), delivered);
  }

  @Test
  void aGapInSequenceNumbersIsAProtocolError() throws Exception {
    established(1024);
    ch.writeInbound(new Frame.Data(2, Unpooled.copiedBuffer("two", UTF_8)));
    Frame.Close close = onlyClose(outbound());
    assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
    assertTrue(close.reason().contains("expected: 1"), close.reason());
  }

  @Test
  void anAckForAMessageNeverSentIsAProtocolError() throws Exception {
    established(1024);
    ch.writeInbound(new Frame.Ack(1));
    assertEquals(ErrorCode.PROTOCOL_ERROR, onlyClose(outbound()).code());
  }

  @Test
  void decoderFailureBecomesACloseWithItsCode() throws Exception {
    established(1024);
    ch.pipeline().fireExceptionCaught(new DecoderException(
        new ProtocolException(ErrorCode.FRAME_TOO_LARGE, "frame length 99999999")));
    Frame.Close close = onlyClose(outbound());
    assertEquals(ErrorCode.FRAME_TOO_LARGE, close.code());
    assertEquals("frame length 99999999", close.reason());
  }

  @Test
  void aBugBecomesInternalErrorWithoutDetails() throws Exception {
    established(1024);
    ch.pipeline().fireExceptionCaught(new NullPointerException("secret detail"));
    Frame.Close close = onlyClose(outbound());
    assertEquals(ErrorCode.INTERNAL_ERROR, close.code());
    assertFalse(close.reason().contains("secret"), close.reason());
  }

  @Test
  void aNonResumableCloseFromThePeerEndsTheSession() throws Exception {
    TestHandler handler = established(1024);
    ch.writeInbound(new Frame.Close(ErrorCode.APPLICATION_ERROR, "bye"));
    assertFalse(ch.isActive());
    assertTrue(handler.session.isClosed());
  }

  @Test
  void aResumableCloseFromThePeerKeepsTheSession() throws Exception {
    TestHandler handler = established(1024);
    ch.writeInbound(new Frame.Close(ErrorCode.GOING_AWAY, "restart"));
    assertFalse(ch.isActive());
    assertFalse(handler.session.isClosed());
    assertFalse(handler.session.isConnected());
  }

  private ServerSessions serverSessions(RefusalLimiter limiter) {
    return new ServerSessions(InMemoryCheckpointStore.builder().build(),
        new SessionConfig(1024, 64 * 1024, 1024, appTasks::add, timer),
        (session, seq, message) -> { }, new ResumeTokens(new SecureRandom()), Clock.systemUTC(),
        10, limiter, Authenticator.DEFAULT, dev.lifeline.ServerEventListener.NONE);
  }

  /**
   * Found by the soak: a restarted server rewinds its outbound stream on the first RESUME; if
   * that connection is cut before the client takes in RESUMED, the client resumes again still
   * claiming what it had received before the restart. That used to be refused for good ("peer
   * wants 25 but this side holds 19..18") on every retry.
   */
  @Test
  void aResumeRepeatedAfterACutMidRewindRewindsAgain() throws Exception {
    SessionCore core = newSession(1024);
    core.restore("test-session", Checkpoint.of(0, new byte[0]));
    // the client received 24 messages before the restart and checkpointed 18 durably
    Frame.StreamState clientWithCheckpoint =
        new Frame.StreamState(24, 18, "at-18".getBytes(UTF_8), 1);
    List<Frame.StreamState> answers = new ArrayList<>();
    EmbeddedChannel first = new EmbeddedChannel();
    EmbeddedChannel second = new EmbeddedChannel();
    try {
      core.attach(first, clientWithCheckpoint, false, mine -> {
        answers.add(mine);
        return new Frame.Resumed(new byte[32], mine);
      });
      core.detach(first, new java.io.IOException("cut before RESUMED reached the client"));
      // the same RESUME again: the client never saw the rewind
      core.attach(second, clientWithCheckpoint, true, mine -> {
        answers.add(mine);
        return new Frame.Resumed(new byte[32], mine);
      });
      assertEquals(2, answers.size());
      Frame.StreamState again = answers.get(1);
      // the client, planning from the answer, rewinds its inbound stream to its checkpoint...
      ResumePlan clientPlan = ResumePlan.of(clientWithCheckpoint, again);
      assertTrue(clientPlan.inboundRewind(), clientPlan.toString());
      // ...and the server sends again from just after it
      assertEquals(19, ResumePlan.of(again, clientWithCheckpoint).replayFrom());
      assertEquals(2, core.stats().rewinds(), "rewound once per resume");
      assertFalse(core.isClosed());
    } finally {
      first.finishAndReleaseAll();
      second.finishAndReleaseAll();
    }
  }

  @Test
  void serverRefusesDataBeforeOpen() {
    ServerSessions sessions = serverSessions(new RefusalLimiter(5, 1, System::nanoTime));
    ch = new EmbeddedChannel(new ServerConnectionHandler(sessions, 4096, "test"));
    Frame.Data data = new Frame.Data(1, Unpooled.copiedBuffer("early", UTF_8));
    ch.writeInbound(data);
    Frame.Close close = onlyClose(outbound());
    assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
    assertTrue(close.reason().contains("expected OPEN or RESUME, got DATA"), close.reason());
    assertEquals(0, data.refCnt(), "the early DATA frame was released");
  }

  /** A client that gives up before OPEN/RESUME (its own timeout) is not answered as an error. */
  @Test
  void serverClosesQuietlyOnCloseBeforeOpen() {
    ServerSessions sessions = serverSessions(new RefusalLimiter(5, 1, System::nanoTime));
    ch = new EmbeddedChannel(new ServerConnectionHandler(sessions, 4096, "test"));
    ch.writeInbound(new Frame.Close(ErrorCode.TIMEOUT, "nothing received for the idle timeout"));
    assertTrue(outbound().isEmpty(), "no CLOSE PROTOCOL_ERROR sent back");
    assertFalse(ch.isOpen(), "connection closed");
  }

  @Test
  void rateLimitedSourceIsRefusedAndItsFrameReleased() {
    RefusalLimiter limiter = new RefusalLimiter(1, 0.001, System::nanoTime);
    ch = new EmbeddedChannel(new ServerConnectionHandler(serverSessions(limiter), 4096, "test"));
    limiter.refused(ServerConnectionHandler.address(ch)); // the embedded channel's "host"
    Frame.Data data = new Frame.Data(1, Unpooled.copiedBuffer("early", UTF_8));
    ch.writeInbound(data);
    assertEquals(ErrorCode.RATE_LIMITED, onlyClose(outbound()).code());
    assertEquals(0, data.refCnt(), "the refused frame was released");
  }
}
