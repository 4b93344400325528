package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link SessionCore} hands a received message to the application: a message in one piece as
 * is; one the frame decoder assembled from several pieces as those pieces to a {@link
 * PiecewiseHandler}, and copied into one buffer on the application thread for any other handler.
 * The payload is released after the callback either way.
 */
class SessionCoreDeliveryTest {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<Runnable> appTasks = new ArrayList<>();
  private EmbeddedChannel ch;

  @AfterEach
  void tearDown() {
    if (ch != null) {
      ch.finishAndReleaseAll();
    }
    timer.shutdownNow();
  }

  private SessionCore attached(SessionHandler handler) throws Exception {
    SessionConfig config = new SessionConfig(1 << 20, 1 << 20, 1 << 20, appTasks::add, timer);
    SessionCore core = new SessionCore(config, handler, new ConnectionHandlerTest.NoPersistence());
    core.assignId("delivery");
    ch = new EmbeddedChannel();
    core.attach(ch, null, false, null);
    return core;
  }

  private void runAppTasks() {
    while (!appTasks.isEmpty()) {
      appTasks.remove(0).run();
    }
  }

  private static byte[] bytes(int n, int salt) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 7 + salt);
    }
    return b;
  }

  /** {@code content} in three direct pieces of a composite, as the decoder assembles them. */
  private static CompositeByteBuf inPieces(byte[] content) {
    CompositeByteBuf c = Unpooled.compositeBuffer(16);
    int a = content.length / 3;
    int b = 2 * content.length / 3;
    c.addComponent(true, Unpooled.directBuffer(a).writeBytes(content, 0, a));
    c.addComponent(true, Unpooled.directBuffer(b - a).writeBytes(content, a, b - a));
    c.addComponent(true, Unpooled.directBuffer(content.length - b)
        .writeBytes(content, b, content.length - b));
    return c;
  }

  private static byte[] drain(ByteBuffer... pieces) {
    ByteBuf all = Unpooled.buffer();
    for (ByteBuffer p : pieces) {
      all.writeBytes(p);
    }
    byte[] b = new byte[all.readableBytes()];
    all.readBytes(b);
    all.release();
    return b;
  }

  /** Records what each callback got, copying it during the call as the contract demands. */
  private static class Recorder implements SessionHandler {
    final List<byte[]> whole = new ArrayList<>();
    final List<Integer> wholeCapacities = new ArrayList<>();

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) {
      wholeCapacities.add(message.capacity());
      whole.add(drain(message));
    }
  }

  private static final class PieceRecorder extends Recorder implements PiecewiseHandler {
    final List<byte[]> assembled = new ArrayList<>();
    final List<Integer> pieceCounts = new ArrayList<>();

    @Override
    public void onMessagePieces(Session session, long seq, ByteBuffer[] pieces) {
      pieceCounts.add(pieces.length);
      assembled.add(drain(pieces));
    }
  }

  @Test
  void piecesGoAsPiecesToAPiecewiseHandler() throws Exception {
    PieceRecorder app = new PieceRecorder();
    SessionCore core = attached(app);
    byte[] big = bytes(300_000, 1);
    byte[] small = bytes(100, 2);
    CompositeByteBuf pieces = inPieces(big);
    ByteBuf one = Unpooled.directBuffer(100).writeBytes(small);
    core.onData(ch, new Frame.Data(1, pieces));
    core.onData(ch, new Frame.Data(2, one));
    runAppTasks();
    assertEquals(List.of(3), app.pieceCounts);
    assertArrayEquals(big, app.assembled.get(0));
    assertEquals(1, app.whole.size(), "a message in one piece still goes to onMessage");
    assertArrayEquals(small, app.whole.get(0));
    assertEquals(0, pieces.refCnt());
    assertEquals(0, one.refCnt());
  }

  @Test
  void piecesAreJoinedOnTheApplicationThreadForAnyOtherHandler() throws Exception {
    Recorder app = new Recorder();
    SessionCore core = attached(app);
    byte[][] messages = {bytes(300_000, 3), bytes(70_000, 4), bytes(2_000_000, 5)};
    List<CompositeByteBuf> sent = new ArrayList<>();
    for (int i = 0; i < messages.length; i++) {
      CompositeByteBuf c = inPieces(messages[i]);
      sent.add(c);
      core.onData(ch, new Frame.Data(i + 1, c));
    }
    assertTrue(app.whole.isEmpty(), "nothing is delivered on the I/O thread");
    runAppTasks();
    for (int i = 0; i < messages.length; i++) {
      assertArrayEquals(messages[i], app.whole.get(i), "message " + (i + 1));
      assertEquals(0, sent.get(i).refCnt());
    }
    // The first two share this thread's buffer (valid only during the call); the one beyond the
    // kept size gets a buffer of its own.
    assertEquals(app.wholeCapacities.get(0), app.wholeCapacities.get(1));
    assertEquals(2_000_000, app.wholeCapacities.get(2));
  }
}
