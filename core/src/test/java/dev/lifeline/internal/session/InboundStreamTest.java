package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.store.Checkpoint;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The inbound stream's bookkeeping alone, without a connection or an application thread. */
class InboundStreamTest {

  private final InboundStream stream = new InboundStream(true);

  private static Checkpoint cp(long position) {
    return Checkpoint.of(position, new byte[] {(byte) position});
  }

  /** Accepts and hands over messages {@code from..to} in the current epoch. */
  private void deliver(long from, long to) throws ProtocolException {
    for (long seq = from; seq <= to; seq++) {
      long epoch = stream.accept(seq, 100);
      assertTrue(stream.beginHandOver(seq));
      stream.handedOver(seq, epoch, 10);
      stream.released(100);
    }
  }

  @Test
  void acceptsMessagesInOrderAndRefusesAGap() throws Exception {
    stream.accept(1, 100);
    assertTrue(stream.isDuplicate(1));
    assertFalse(stream.isDuplicate(2));
    ProtocolException e = assertThrows(ProtocolException.class, () -> stream.accept(3, 100));
    assertEquals("DATA seq 3 (expected: 2)", e.getMessage());
    assertEquals(100, stream.queuedMemory());
    stream.released(100);
    assertEquals(0, stream.queuedMemory());
  }

  @Test
  void autoAcknowledgesWhatWasHandedOverOnceAndAgainOnANewConnection() throws Exception {
    deliver(1, 3);
    assertTrue(stream.ackDue());
    assertEquals(3, stream.takeAck());
    assertFalse(stream.ackDue());
    stream.connectionChanged();
    assertTrue(stream.ackDue(), "the new connection did not see the old one's ACK");
    assertEquals(30, stream.receivedBytes());
  }

  @Test
  void withoutAutoAcknowledgementOnlyACheckpointIsAcknowledged() throws Exception {
    stream.autoAck(false);
    deliver(1, 3);
    assertEquals(0, stream.takeAck());
    assertFalse(stream.ackDue());
    stream.checkpointAsked(2);
    stream.landed(cp(2));
    assertEquals(2, stream.takeAck());
  }

  @Test
  void aCheckpointMustLieBetweenTheLastOneAndTheLastDeliveredMessage() throws Exception {
    deliver(1, 3);
    assertThrows(IllegalArgumentException.class, () -> stream.checkpointAsked(4));
    stream.checkpointAsked(3);
    stream.landed(cp(3));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> stream.checkpointAsked(2));
    assertEquals("position: 2 (expected: >= last checkpoint 3)", e.getMessage());
  }

  @Test
  void aRewindStartsANewEpochAfterTheCheckpointToldToThePeer() throws Exception {
    deliver(1, 2);
    stream.checkpointAsked(2);
    stream.landed(cp(2));
    stream.told(2);
    long oldEpoch = stream.accept(3, 100);
    assertEquals(cp(2).position(), stream.rewind().position());
    assertFalse(stream.isCurrent(oldEpoch), "a message queued before the rewind is dropped");
    assertEquals(2, stream.received());
    assertFalse(stream.isDuplicate(3));
    stream.accept(3, 100);
  }

  @Test
  void aCheckpointLandingAfterTheRewindIsWhereTheStreamContinues() throws Exception {
    // Asked for at 4 and told the peer 2; the connection is cut, the peer rewinds to 2, and
    // the commit of 4 lands only after the rewind.
    deliver(1, 4);
    stream.checkpointAsked(2).complete(null);
    stream.landed(cp(2));
    stream.told(2);
    CompletableFuture<Void> settled = stream.checkpointAsked(4);
    CompletableFuture<Void> allSettled = stream.commitsSettled();
    stream.rewind();
    assertFalse(allSettled.isDone(), "the rewind waits for the commit still in flight");
    stream.landed(cp(4));
    settled.complete(null);
    assertTrue(allSettled.isDone());
    assertEquals(4, stream.lastCheckpoint().position());
    // The peer sends 3 and 4 again: they arrive but the application already has them.
    long epoch = stream.accept(3, 100);
    assertFalse(stream.beginHandOver(3), "covered by the checkpoint that landed");
    stream.accept(4, 100);
    assertFalse(stream.beginHandOver(4));
    assertTrue(stream.isCurrent(epoch));
    stream.accept(5, 100);
    assertTrue(stream.beginHandOver(5));
  }

  @Test
  void neverAcknowledgesBeyondWhatArrivedSinceTheRewind() throws Exception {
    deliver(1, 4);
    assertEquals(4, stream.takeAck());
    stream.told(0);
    stream.checkpointAsked(4);
    stream.rewind();
    stream.connectionChanged();
    stream.landed(cp(4)); // beyond the rewound stream, which restarts after 0
    assertEquals(0, stream.takeAck(), "an ACK for 4 would be a protocol error at the sender");
    stream.accept(1, 100);
    assertEquals(1, stream.takeAck());
  }

  @Test
  void aMessageInTheHandlerAcrossARewindDoesNotCountAsDelivered() throws Exception {
    deliver(1, 1);
    stream.told(1);
    stream.checkpointAsked(1);
    stream.landed(cp(1));
    long epoch = stream.accept(2, 100);
    assertTrue(stream.beginHandOver(2));
    stream.rewind();
    stream.handedOver(2, epoch, 10);
    assertEquals(10, stream.receivedBytes(), "only message 1 counts");
    assertThrows(IllegalArgumentException.class, () -> stream.checkpointAsked(2));
  }

  @Test
  void aRestoredStreamContinuesAfterItsOwnCheckpoint() throws Exception {
    stream.restore(cp(5));
    assertEquals(5, stream.received());
    assertTrue(stream.isDuplicate(5));
    stream.accept(6, 100);
    assertTrue(stream.beginHandOver(6));
  }
}
