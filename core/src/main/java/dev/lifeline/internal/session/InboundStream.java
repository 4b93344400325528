package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.store.Checkpoint;
import java.util.concurrent.CompletableFuture;

/**
 * The stream of messages this side receives, apart from any connection: what arrived, what the
 * application has been handed, the durable checkpoint and what may be acknowledged. A rewind
 * starts a new epoch, so a message of the old stream still queued for the application is dropped.
 *
 * <p>A checkpoint and a rewind can cross (docs/protocol.md): a checkpoint asked for before an
 * inbound rewind may land after it, beyond the rewound stream. The stream then continues after
 * that checkpoint ({@link #landed}), messages up to it that arrive again are dropped as covered,
 * and the rewind is reported to the application only once every commit asked for so far has
 * settled ({@link #commitsSettled}).
 *
 * <p>Not thread-safe: the owning {@link SessionCore} guards it with its lock.
 */
final class InboundStream {

  // Highest sequence received in order on the wire since the last rewind: never acknowledge more.
  private long received;
  // Handed to the application (or covered by a checkpoint): a message up to it is not delivered.
  private long delivered;
  private long delivering;
  // The application's handler is running for message `delivering` (possibly of an older epoch).
  private boolean handingOver;
  // Completes once every checkpoint asked for so far has landed or failed and moved
  // lastCheckpoint if it landed; an inbound rewind is reported only then.
  private CompletableFuture<Void> commitsSettled = CompletableFuture.completedFuture(null);
  // The checkpoint this side last told the peer (RESUME or RESUMED): a peer that rewinds its
  // outbound stream rewinds to it, even when a newer one landed meanwhile.
  private long checkpointTold;
  private long epoch;
  // Memory (not payload) of messages received and not yet handed over: a small message can keep
  // a whole read buffer alive.
  private long queuedMemory;
  private long lastAckSent = -1;
  // From the handler's declaration, so a session restored from the store (no onOpen) keeps it.
  private boolean autoAck;
  private Checkpoint lastCheckpoint = Checkpoint.NONE;
  private long receivedBytes;

  InboundStream(boolean autoAck) {
    this.autoAck = autoAck;
  }

  /** Continues after this side's own durable checkpoint (a session loaded from a store). */
  void restore(Checkpoint checkpoint) {
    lastCheckpoint = checkpoint;
    checkpointTold = checkpoint.position();
    received = checkpoint.position();
    delivered = checkpoint.position();
    delivering = checkpoint.position();
  }

  long received() {
    return received;
  }

  Checkpoint lastCheckpoint() {
    return lastCheckpoint;
  }

  /** This side told the peer its checkpoint {@code seq}: a rewinding peer restarts after it. */
  void told(long seq) {
    checkpointTold = seq;
  }

  /**
   * The peer sends this stream again from after the checkpoint it was told; the application
   * continues after the last durable one, which may be newer (a commit landed since): the
   * messages in between arrive again and are dropped as covered. Returns the checkpoint the
   * rewind is reported at.
   */
  Checkpoint rewind() {
    epoch++;
    received = Math.min(checkpointTold, lastCheckpoint.position());
    delivered = lastCheckpoint.position();
    if (!handingOver) {
      delivering = delivered;
    }
    return lastCheckpoint;
  }

  /** A new connection: the acknowledgement is sent again there, whatever the old one carried. */
  void connectionChanged() {
    lastAckSent = -1;
  }

  /** Whether message {@code seq} already arrived (since the last rewind). */
  boolean isDuplicate(long seq) {
    return seq <= received;
  }

  /**
   * Takes message {@code seq}, occupying {@code memory} bytes until {@link #released}; returns
   * the epoch to deliver it in.
   *
   * @throws ProtocolException if a message is missing before it
   */
  long accept(long seq, long memory) throws ProtocolException {
    if (seq != received + 1) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
          "DATA seq " + seq + " (expected: " + (received + 1) + ")");
    }
    received = seq;
    queuedMemory += memory;
    return epoch;
  }

  /** Memory held by messages accepted and not yet released. */
  long queuedMemory() {
    return queuedMemory;
  }

  /** A message accepted earlier is done with (delivered or dropped). */
  void released(long memory) {
    queuedMemory -= memory;
  }

  /** Whether a message accepted in {@code epoch} is still of the current stream. */
  boolean isCurrent(long messageEpoch) {
    return messageEpoch == epoch;
  }

  /**
   * About to hand message {@code seq} to the application; false if a checkpoint that landed
   * after a rewind covers it (the sender produced it again), and it must be dropped.
   */
  boolean beginHandOver(long seq) {
    if (seq <= delivered) {
      return false;
    }
    delivering = seq;
    handingOver = true;
    return true;
  }

  /** The application's handler returned for message {@code seq} of {@code messageEpoch}. */
  void handedOver(long seq, long messageEpoch, int length) {
    handingOver = false;
    if (messageEpoch == epoch) {
      delivered = Math.max(delivered, seq);
      receivedBytes += length;
    } else {
      delivering = delivered; // the rewind lowered it while this message was in the handler
    }
  }

  /**
   * Checks that a checkpoint at {@code position} may be asked for and records that it is:
   * returns the future to complete once it landed or failed.
   *
   * @throws IllegalArgumentException beyond the last delivered message, or before the last
   *     checkpoint
   */
  CompletableFuture<Void> checkpointAsked(long position) {
    if (position > Math.max(delivered, delivering)) {
      throw new IllegalArgumentException("position: " + position
          + " (expected: <= last delivered message " + delivered + ")");
    }
    if (position < lastCheckpoint.position()) {
      throw new IllegalArgumentException("position: " + position
          + " (expected: >= last checkpoint " + lastCheckpoint.position() + ")");
    }
    CompletableFuture<Void> settled = new CompletableFuture<>();
    commitsSettled = commitsSettled.isDone()
        ? settled : CompletableFuture.allOf(commitsSettled, settled);
    return settled;
  }

  /** Completes once every checkpoint asked for so far has landed or failed. */
  CompletableFuture<Void> commitsSettled() {
    return commitsSettled;
  }

  /**
   * A checkpoint is durable. If it was asked for before an inbound rewind and landed after it, it
   * is beyond the rewound stream: the stream now continues after it (the rewind is reported at
   * it), and the messages up to it that the sender produces again are dropped as duplicates.
   */
  void landed(Checkpoint cp) {
    if (cp.position() < lastCheckpoint.position()) {
      return;
    }
    lastCheckpoint = cp;
    if (cp.position() > delivered) {
      delivered = cp.position();
      if (!handingOver) {
        delivering = delivered;
      }
    }
  }

  void autoAck(boolean on) {
    autoAck = on;
  }

  /** Whether an acknowledgement beyond the last one sent is due. */
  boolean ackDue() {
    return ackable() > lastAckSent;
  }

  /** The acknowledgement to send now, recorded as sent. Only when {@link #ackDue()}. */
  long takeAck() {
    lastAckSent = ackable();
    return lastAckSent;
  }

  /**
   * Never beyond {@code received}: a checkpoint that landed after a rewind may be ahead of what
   * the sender has sent since it rewound, and an ACK for that is a protocol error there.
   */
  private long ackable() {
    return Math.min(received, Math.max(autoAck ? delivered : 0, lastCheckpoint.position()));
  }

  long receivedBytes() {
    return receivedBytes;
  }
}
