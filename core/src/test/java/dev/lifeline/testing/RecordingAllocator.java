package dev.lifeline.testing;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;

/**
 * An unpooled allocator that remembers the largest buffer anyone asked it for, so a test can
 * assert that a decoder fed hostile lengths never requests more than its configured limit. Put it
 * on a channel with {@code channel.config().setAllocator(...)}.
 */
public final class RecordingAllocator extends AbstractByteBufAllocator {
  private final UnpooledByteBufAllocator delegate = new UnpooledByteBufAllocator(false, true);
  private long largest;

  public RecordingAllocator() {
    super(false);
  }

  /** The largest initial capacity requested so far. */
  public synchronized long largest() {
    return largest;
  }

  private synchronized void record(int initialCapacity) {
    largest = Math.max(largest, initialCapacity);
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    record(initialCapacity);
    return delegate.heapBuffer(initialCapacity, maxCapacity);
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    record(initialCapacity);
    return delegate.directBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public boolean isDirectBufferPooled() {
    return false;
  }
}
