package dev.lifeline.internal.session;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * One reusable direct buffer per application thread, into which a message that arrived in
 * pieces is copied for a handler that takes it in one {@link ByteBuffer}. The copy happens on the
 * application thread, not on the I/O thread; {@code onMessage}'s buffer is valid only during the
 * call, and callbacks on one thread never overlap, so the buffer is reused for the next message.
 */
final class FlatBuffers {
  /** Largest buffer kept per thread; a larger message gets a buffer of its own each time. */
  static final int KEEP_BYTES = 1 << 20;
  private static final int MIN_BYTES = 64 * 1024;

  private static final ThreadLocal<ByteBuffer> SPARE = new ThreadLocal<>();

  private FlatBuffers() {}

  /** {@code payload}'s readable bytes in one buffer, valid until the next call on this thread. */
  static ByteBuffer of(ByteBuf payload) {
    int n = payload.readableBytes();
    ByteBuffer b = SPARE.get();
    if (b == null || b.capacity() < n) {
      if (n > KEEP_BYTES) {
        b = ByteBuffer.allocate(n);
      } else {
        b = ByteBuffer.allocateDirect(Math.max(MIN_BYTES, Integer.highestOneBit(n - 1) << 1));
        SPARE.set(b);
      }
    }
    b.clear().limit(n);
    payload.getBytes(payload.readerIndex(), b);
    return b.flip();
  }
}
