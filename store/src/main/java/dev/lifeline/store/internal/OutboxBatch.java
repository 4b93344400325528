package dev.lifeline.store.internal;

import static dev.lifeline.store.internal.OutboxDescriptor.RECORD_HEADER_LENGTH;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;

/**
 * The records an outbox has encoded and not yet handed to a flush, with their futures: filled by
 * appends, swapped out whole by {@link #take}. Two buffers take turns (one filling while the other
 * is written), so appends never wait for a write. Not thread-safe: its outbox's lock guards it.
 */
final class OutboxBatch {
  /** Small: a server may hold thousands of idle outboxes; a busy one grows its buffers fast. */
  private static final int INITIAL_BUFFER = 1 << 10;
  /** A buffer larger than this is dropped after a small batch: idle outboxes stay small. */
  private static final int KEEP_BUFFER = 1 << 20;

  /**
   * What one flush writes: the encoded records, the futures they complete in order, the outbox's
   * last seq after them, the offset just after the last RESET record in {@code buffer} (-1 if
   * none) and how many resets it holds.
   */
  record Taken(ByteBuffer buffer, List<CompletableFuture<Void>> futures, long endLastSeq,
      int resetEnd, int resets) {}

  private final CRC32C crc = new CRC32C();
  private ByteBuffer pending = ByteBuffer.allocate(INITIAL_BUFFER);
  /** The other buffer; null while a taken batch is being written. */
  private ByteBuffer spare = ByteBuffer.allocate(INITIAL_BUFFER);
  private List<CompletableFuture<Void>> futures = new ArrayList<>();
  private int resetEnd = -1;
  private int resets;

  boolean isEmpty() {
    return pending.position() == 0;
  }

  /** Encodes a record; {@code future}, if not null, completes once it is durable. */
  void add(long seq, byte type, ByteBuffer payload, CompletableFuture<Void> future) {
    int need = RECORD_HEADER_LENGTH + (payload == null ? 0 : payload.remaining());
    if (pending.remaining() < need) {
      ByteBuffer bigger = ByteBuffer.allocate(
          Math.max(pending.capacity() * 2, pending.position() + need));
      pending.flip();
      bigger.put(pending);
      pending = bigger;
    }
    OutboxDescriptor.putRecord(pending, crc, seq, type, payload);
    if (type == OutboxDescriptor.TYPE_RESET) {
      resetEnd = pending.position();
      resets++;
    }
    if (future != null) {
      futures.add(future);
    }
  }

  /** Swaps out everything added; the buffer comes back through {@link #recycle}. */
  Taken take(long endLastSeq) {
    Taken taken = new Taken(pending.flip(), futures, endLastSeq, resetEnd, resets);
    pending = spare.clear();
    spare = null;
    futures = new ArrayList<>();
    resetEnd = -1;
    resets = 0;
    return taken;
  }

  /** Takes back the buffer of a written batch. */
  void recycle(ByteBuffer used) {
    boolean oversized = used.capacity() > KEEP_BUFFER && used.limit() < used.capacity() / 4;
    spare = oversized ? ByteBuffer.allocate(INITIAL_BUFFER) : used;
  }

  /** After a failed write: drops what is pending and returns its futures, to be failed. */
  List<CompletableFuture<Void>> abandon() {
    List<CompletableFuture<Void>> dropped = futures;
    futures = new ArrayList<>();
    pending.clear();
    spare = ByteBuffer.allocate(INITIAL_BUFFER);
    resetEnd = -1;
    resets = 0;
    return dropped;
  }
}
