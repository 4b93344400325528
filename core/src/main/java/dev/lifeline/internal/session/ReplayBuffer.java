package dev.lifeline.internal.session;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The messages a sender has sent but the peer has not acknowledged, in sequence order, bounded in
 * bytes by the session's {@link SendWindow}. Sequence numbers are contiguous, so a message is
 * found by {@code seq - firstSeq} in a ring of entries. Not thread-safe: the owning session
 * guards it.
 *
 * <p>Invariant: entries hold sequences {@code [firstSeq, firstSeq + size)}; {@code bytes} is the
 * sum of their payload sizes; every entry owns one reference to its payload.
 */
final class ReplayBuffer {

  record Entry(long seq, ByteBuf payload, CompletableFuture<Void> acked) {
    /** The message's size in bytes. */
    int length() {
      return payload.readableBytes();
    }
  }

  private Entry[] ring = new Entry[16];
  private int head;
  private int size;
  private long firstSeq = 1;
  private long bytes;

  /**
   * Whether a message of {@code length} bytes fits now under {@code maxBytes} (the session's
   * {@link SendWindow}). An empty buffer takes any message.
   */
  boolean hasRoom(int length, long maxBytes) {
    return size == 0 || bytes + length <= maxBytes;
  }

  long bytes() {
    return bytes;
  }

  int size() {
    return size;
  }

  /** The lowest sequence still held, or {@code nextSeq} when empty. */
  long firstSeq() {
    return firstSeq;
  }

  /** Restarts numbering at {@code seq}; only valid when empty. */
  void resetFirstSeq(long seq) {
    if (size != 0) {
      throw new IllegalStateException("replay buffer not empty: " + size + " entries");
    }
    firstSeq = seq;
  }

  void append(long seq, ByteBuf payload, CompletableFuture<Void> acked) {
    append(new Entry(seq, payload, acked));
  }

  void append(Entry entry) {
    long seq = entry.seq();
    if (seq != firstSeq + size) {
      throw new IllegalStateException("seq " + seq + " (expected: " + (firstSeq + size) + ")");
    }
    if (size == ring.length) {
      Entry[] bigger = new Entry[ring.length * 2];
      for (int i = 0; i < size; i++) {
        bigger[i] = ring[(head + i) % ring.length];
      }
      ring = bigger;
      head = 0;
    }
    ring[(head + size) % ring.length] = entry;
    size++;
    bytes += entry.length();
  }

  /** The entry for {@code seq}, which must be held. */
  Entry get(long seq) {
    long index = seq - firstSeq;
    if (index < 0 || index >= size) {
      throw new IllegalArgumentException(
          "seq " + seq + " (expected: " + firstSeq + ".." + (firstSeq + size - 1) + ")");
    }
    return ring[(int) ((head + index) % ring.length)];
  }

  /**
   * Drops every entry up to and including {@code seq}, releasing payloads, and returns their
   * futures for the caller to complete outside its lock.
   */
  List<CompletableFuture<Void>> acknowledge(long seq) {
    List<CompletableFuture<Void>> done = new ArrayList<>();
    while (size > 0 && firstSeq <= seq) {
      Entry e = ring[head];
      ring[head] = null;
      head = (head + 1) % ring.length;
      size--;
      firstSeq++;
      bytes -= e.payload().readableBytes();
      e.payload().release();
      done.add(e.acked());
    }
    return done;
  }

  /** Empties the buffer (a rewind or close), returning the futures to fail. */
  List<CompletableFuture<Void>> clear(long nextFirstSeq) {
    List<CompletableFuture<Void>> dropped = acknowledge(Long.MAX_VALUE);
    firstSeq = nextFirstSeq;
    return dropped;
  }
}
