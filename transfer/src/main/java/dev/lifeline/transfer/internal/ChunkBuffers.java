package dev.lifeline.transfer.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers for outgoing CHUNK messages, reused once the session is done with them. A chunk
 * read straight from the file into direct memory goes to TLS without a copy: no temporary buffer
 * behind a heap read, no copy to direct memory before encryption, no garbage per chunk.
 *
 * <p>A buffer handed to {@code Session.send} belongs to the session until that send's future
 * completes (acknowledged, or failed by a rewind or close); only then does it come back here. So
 * at most replay-buffer-bytes / chunk-size buffers are out at once per sender; at most {@code
 * maxIdle} are kept when idle (the rest are left to the garbage collector).
 */
final class ChunkBuffers {
  private final int capacity;
  private final int maxIdle;
  private final ConcurrentLinkedQueue<ByteBuffer> idle = new ConcurrentLinkedQueue<>();
  private final AtomicInteger idleCount = new AtomicInteger();

  ChunkBuffers(int capacity, int maxIdle) {
    this.capacity = capacity;
    this.maxIdle = maxIdle;
  }

  /** For one CHUNK: type byte, offset, then up to {@link TransferDescriptor#CHUNK_BYTES}. */
  static ChunkBuffers forChunks(int maxIdle) {
    return new ChunkBuffers(TransferDescriptor.CHUNK_HEADER + TransferDescriptor.CHUNK_BYTES,
        maxIdle);
  }

  /** An empty buffer (position 0, limit = capacity). */
  ByteBuffer take() {
    ByteBuffer b = idle.poll();
    if (b == null) {
      return ByteBuffer.allocateDirect(capacity);
    }
    idleCount.decrementAndGet();
    return b.clear();
  }

  /** Takes {@code b} back; the caller no longer touches it. */
  void give(ByteBuffer b) {
    if (idleCount.incrementAndGet() <= maxIdle) {
      idle.offer(b);
    } else {
      idleCount.decrementAndGet();
    }
  }

  /** Takes {@code b} back once {@code sent} completes, however it completes. */
  void giveWhenDone(CompletableFuture<Void> sent, ByteBuffer b) {
    sent.whenComplete((v, e) -> give(b));
  }

  /**
   * Reads {@code length} bytes of {@code file} at {@code offset} into a fresh CHUNK message.
   *
   * @return the message, flipped for sending; or null if the file ended first (it shrank)
   */
  ByteBuffer readChunk(java.nio.channels.FileChannel file, long offset, int length)
      throws java.io.IOException {
    ByteBuffer b = take();
    b.put(TransferDescriptor.CHUNK).putLong(offset).limit(TransferDescriptor.CHUNK_HEADER + length);
    while (b.hasRemaining()) {
      if (file.read(b, offset + b.position() - TransferDescriptor.CHUNK_HEADER) < 0) {
        give(b);
        return null;
      }
    }
    return b.flip();
  }
}
