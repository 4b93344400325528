package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.store.Checkpoint;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The outbound stream's bookkeeping alone, without a connection. */
class OutboundStreamTest {

  private final OutboundStream stream = new OutboundStream(1 << 20);
  private final List<CompletableFuture<Void>> futures = new ArrayList<>();

  @AfterEach
  void releasePayloads() {
    stream.clear();
  }

  private void send(int count, int size) {
    for (int i = 0; i < count; i++) {
      CompletableFuture<Void> acked = new CompletableFuture<>();
      futures.add(acked);
      stream.append(new ReplayBuffer.Entry(
          stream.nextSeq(), Unpooled.buffer(size).writeZero(size), acked));
    }
  }

  private List<Long> writeAll() {
    List<Long> written = new ArrayList<>();
    while (stream.hasUnwritten()) {
      written.add(stream.nextToWrite().seq());
    }
    return written;
  }

  @Test
  void numbersMessagesFromOneAndWritesEachOnceInOrder() {
    send(3, 10);
    assertEquals(4, stream.nextSeq());
    assertEquals(List.of(1L, 2L, 3L), writeAll());
    assertFalse(stream.hasUnwritten());
    assertEquals(30, stream.sentBytes());
    assertEquals(0, stream.resentBytes());
  }

  @Test
  void appendingOutOfSequenceIsRefused() {
    assertThrows(IllegalStateException.class, () -> stream.append(new ReplayBuffer.Entry(
        5, Unpooled.EMPTY_BUFFER, new CompletableFuture<>())));
    assertEquals(1, stream.nextSeq());
  }

  @Test
  void acknowledgementDropsMessagesAndHandsBackTheirFutures() throws Exception {
    send(3, 10);
    writeAll();
    assertEquals(futures.subList(0, 2), stream.acknowledge(2));
    assertEquals(1, stream.unacknowledged());
    assertEquals(10, stream.bufferedBytes());
    assertEquals(3, stream.replayFrom());
  }

  @Test
  void acknowledgingAMessageNeverSentIsAProtocolError() {
    send(2, 1);
    ProtocolException e = assertThrows(ProtocolException.class, () -> stream.acknowledge(3));
    assertEquals("ACK 3 (expected: < 3)", e.getMessage());
  }

  @Test
  void replayFromAHeldMessageResendsItAndCountsItAsResent() throws Exception {
    send(4, 10);
    writeAll();
    stream.acknowledge(1);
    stream.replayFrom(3);
    assertEquals(List.of(3L, 4L), writeAll());
    assertEquals(40, stream.sentBytes());
    assertEquals(20, stream.resentBytes());
  }

  @Test
  void replayFromAMessageNoLongerHeldOrNeverSentIsAProtocolError() throws Exception {
    send(3, 1);
    stream.acknowledge(1);
    assertThrows(ProtocolException.class, () -> stream.replayFrom(1));
    assertThrows(ProtocolException.class, () -> stream.replayFrom(5));
    stream.replayFrom(4); // nothing to resend: continues with the next new message
    assertFalse(stream.hasUnwritten());
  }

  @Test
  void rewindRenumbersAfterThePeerCheckpointFailsDroppedMessagesAndIsReportedOnce() {
    send(5, 10);
    writeAll();
    Checkpoint at = Checkpoint.of(2, new byte[] {7});
    List<CompletableFuture<Void>> dropped = stream.rewindTo(at);
    assertEquals(futures, dropped);
    assertEquals(3, stream.nextSeq());
    assertEquals(3, stream.replayFrom());
    assertEquals(1, stream.rewinds());
    assertFalse(stream.hasUnwritten());
    send(1, 10);
    assertEquals(List.of(3L), writeAll());
    assertEquals(60, stream.sentBytes(), "after a rewind the stream's messages are new ones");
    assertEquals(0, stream.resentBytes());
    assertSame(at, stream.takePendingRewind());
    assertNull(stream.takePendingRewind(), "a rewind is reported to one sender only");
  }

  @Test
  void aStreamRestoredFromTheStoreOffersNoReplayUntilItRewinds() {
    stream.replayLost();
    assertEquals(FrameDescriptor.NO_REPLAY, stream.replayFrom());
    stream.rewindTo(Checkpoint.of(7, new byte[0]));
    assertEquals(8, stream.replayFrom());
    assertEquals(8, stream.nextSeq());
  }

  @Test
  void theReplayBufferBoundsWhatMayBeAppended() {
    OutboundStream small = new OutboundStream(100);
    assertTrue(small.hasRoom(1000), "an empty buffer takes one message of any size");
    small.append(new ReplayBuffer.Entry(1, Unpooled.buffer(80).writeZero(80),
        new CompletableFuture<>()));
    assertTrue(small.hasRoom(20));
    assertFalse(small.hasRoom(21));
    small.clear();
    assertEquals(0, small.bufferedBytes());
  }
}
