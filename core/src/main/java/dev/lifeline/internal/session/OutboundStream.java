package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.store.Checkpoint;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The stream of messages this side sends, apart from any connection: sequence numbers, the
 * replay buffer of unacknowledged messages, the write cursor (the next message to put on the
 * wire, which a resume moves back) and a rewind the application has not yet been told of. The
 * session writes what {@link #nextToWrite()} hands out on whatever connection it has.
 *
 * <p>Not thread-safe: the owning {@link SessionCore} guards it with its lock.
 *
 * <p>Invariants: {@code replay} holds {@code [replay.firstSeq(), nextSeq)}; {@code writeCursor}
 * lies in {@code [replay.firstSeq(), nextSeq]}; {@code highestWritten} is the highest sequence
 * ever written since the last rewind, so a write at or below it is a resend.
 */
final class OutboundStream {

  private final ReplayBuffer replay = new ReplayBuffer();
  private final SendWindow window;
  private long nextSeq = 1;
  private long writeCursor = 1;
  private long highestWritten;
  // Loaded from a store by a process that did not send these messages: the peer must rewind.
  private boolean replayLost;
  // Reported to the next sender (StreamRewoundException) so it learns where the stream restarts.
  private Checkpoint pendingRewind;

  // With a durable outbox a message goes on the wire only once the outbox made it durable: a peer
  // must never hold a message this side could lose in a crash (it would then be numbered twice).
  private boolean gated;
  private long durableUpTo;

  private long rewinds;
  private long resentBytes;
  private long sentBytes;

  /** A stream whose replay buffer never grows past {@code replayBufferBytes}. */
  OutboundStream(long replayBufferBytes) {
    this(ReplayGrowth.fixed(replayBufferBytes));
  }

  OutboundStream(ReplayGrowth growth) {
    this.window = new SendWindow(growth);
  }

  /** The messages sent before a restart are gone: the first resume must rewind. */
  void replayLost() {
    replayLost = true;
  }

  /** From now on only messages marked {@link #durable} are written (a durable outbox is on). */
  void gateOnDurability() {
    gated = true;
    durableUpTo = nextSeq - 1;
  }

  /** The outbox made every message up to {@code seq} durable: they may go on the wire. */
  void durable(long seq) {
    durableUpTo = Math.max(durableUpTo, seq);
  }

  /**
   * Continues a stream whose unacknowledged messages a previous process left in its outbox: the
   * buffer restarts at {@code firstSeq}, empty, for the caller to {@link #append} them in order
   * with {@link #restored()} after; they are all durable and, having been sent before, count as
   * resent when written again.
   */
  void restartAt(long firstSeq) {
    replay.clear(firstSeq);
    nextSeq = firstSeq;
    writeCursor = firstSeq;
    replayLost = false;
  }

  /** The messages appended since {@link #restartAt} came from the outbox. */
  void restored() {
    highestWritten = nextSeq - 1;
    durableUpTo = nextSeq - 1;
  }

  /** The first sequence this side can send again, for the stream state it tells the peer. */
  long replayFrom() {
    return replayLost ? FrameDescriptor.NO_REPLAY : replay.firstSeq();
  }

  /** The sequence the next appended message gets. */
  long nextSeq() {
    return nextSeq;
  }

  /** Whether a message of {@code length} bytes fits in the replay buffer now. */
  boolean hasRoom(int length) {
    return replay.hasRoom(length, window.limit());
  }

  /**
   * A message of {@code length} bytes did not fit; {@code connected}: a connection is attached,
   * so if every appended message was written, the window is what stops the sender.
   */
  void noRoom(boolean connected) {
    window.noRoom(System.nanoTime(), connected && !hasUnwritten());
  }

  /** A new connection: the window may pay to grow again on its path. */
  void newConnection() {
    window.newPath();
  }

  /** The session ended: its window's growth goes back to the endpoint's budget. */
  void releaseWindow() {
    window.release();
  }

  /** The replay buffer's bound now. */
  long windowBytes() {
    return window.limit();
  }

  /**
   * Appends a message numbered {@link #nextSeq()}; the entry owns its payload from now on.
   *
   * @throws IllegalStateException if the entry's sequence is not {@link #nextSeq()}
   */
  void append(ReplayBuffer.Entry entry) {
    replay.append(entry);
    nextSeq++;
  }

  /**
   * Restarts the stream after the peer's checkpoint {@code at}: the messages after it are sent
   * again as new ones, numbered from {@code at.position() + 1}. Returns the futures of the
   * dropped messages, for the caller to fail outside its lock.
   */
  List<CompletableFuture<Void>> rewindTo(Checkpoint at) {
    nextSeq = at.position() + 1;
    List<CompletableFuture<Void>> dropped = replay.clear(nextSeq);
    pendingRewind = at;
    replayLost = false;
    highestWritten = at.position();
    durableUpTo = at.position();
    writeCursor = nextSeq;
    rewinds++;
    return dropped;
  }

  /**
   * Continues the stream on a new connection from {@code seq}, which must still be held.
   *
   * @throws ProtocolException if the peer asks for a message this side no longer holds or never
   *     sent
   */
  void replayFrom(long seq) throws ProtocolException {
    if (seq > nextSeq || seq < replay.firstSeq()) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "peer wants " + seq
          + " but this side holds " + replay.firstSeq() + ".." + (nextSeq - 1));
    }
    writeCursor = seq;
  }

  /** Whether a message is waiting to be written. */
  boolean hasUnwritten() {
    return writeCursor < (gated ? Math.min(nextSeq, durableUpTo + 1) : nextSeq);
  }

  /**
   * The message at the write cursor, which moves past it; counts its bytes as sent or resent.
   * Only when {@link #hasUnwritten()}.
   */
  ReplayBuffer.Entry nextToWrite() {
    ReplayBuffer.Entry e = replay.get(writeCursor);
    int n = e.length();
    if (writeCursor <= highestWritten) {
      resentBytes += n;
    } else {
      highestWritten = writeCursor;
      sentBytes += n;
    }
    writeCursor++;
    return e;
  }

  /**
   * The peer holds everything up to {@code seq}: drops those messages and returns their futures,
   * for the caller to complete outside its lock.
   *
   * @throws ProtocolException if {@code seq} was never sent
   */
  List<CompletableFuture<Void>> acknowledge(long seq) throws ProtocolException {
    if (seq >= nextSeq) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
          "ACK " + seq + " (expected: < " + nextSeq + ")");
    }
    long before = replay.bytes();
    List<CompletableFuture<Void>> done = replay.acknowledge(seq);
    if (!done.isEmpty()) {
      window.acked(System.nanoTime(), before - replay.bytes(), replay.bytes());
    }
    return done;
  }

  /** The rewind not yet reported to a sender, now reported; null if none. */
  Checkpoint takePendingRewind() {
    Checkpoint cp = pendingRewind;
    pendingRewind = null;
    return cp;
  }

  /** Drops every unacknowledged message (the session ended); returns their futures to fail. */
  List<CompletableFuture<Void>> clear() {
    return replay.clear(nextSeq);
  }

  /** Messages sent and not yet acknowledged. */
  int unacknowledged() {
    return replay.size();
  }

  /** Bytes of messages sent and not yet acknowledged. */
  long bufferedBytes() {
    return replay.bytes();
  }

  long rewinds() {
    return rewinds;
  }

  long resentBytes() {
    return resentBytes;
  }

  long sentBytes() {
    return sentBytes;
  }
}
