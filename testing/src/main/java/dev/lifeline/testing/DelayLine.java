package dev.lifeline.testing;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One direction of a {@link FaultProxy} connection with latency: what its reader hands over
 * leaves {@code delayNanos} after it was read, with at most {@code capacityBytes} held at once.
 *
 * <p>A full line blocks the reader, which then stops reading its socket, so the sender's TCP
 * window closes as it would behind a slow link: backpressure works end to end and the proxy's
 * memory stays bounded. Bytes count against the capacity until they are written on, so the one
 * chunk being written counts too.
 *
 * <p>Besides bytes the line carries the two events that must happen after the bytes before
 * them: the planned cut (it travels with the byte it is planned at) and the end of the stream
 * (the half-close follows the last byte). Thread-safe: one reader and one writer thread.
 */
final class DelayLine {

  /** What an entry is: bytes to write, or an event that happens when it is due. */
  enum Kind {
    BYTES,
    PLANNED_CUT,
    END_OF_STREAM
  }

  /** One chunk or event and the time it may leave. */
  record Entry(Kind kind, byte[] bytes, long dueNanos) {}

  private static final byte[] NO_BYTES = new byte[0];

  private final long delayNanos;
  private final long capacityBytes;

  /** The proxy's high-water mark over every line, for tests; raised, never lowered. */
  private final AtomicLong proxyHighWater;

  private final ReentrantLock lock = new ReentrantLock();

  /** Signalled on every change: an entry added, bytes written, the line cleared or closed. */
  private final Condition changed = lock.newCondition();

  /** Guarded by lock. In the order read; due times never decrease. */
  private final ArrayDeque<Entry> queue = new ArrayDeque<>();

  /** Guarded by lock. Bytes in the queue plus the chunk the writer took but has not written. */
  private long heldBytes;

  /** Guarded by lock. Bytes of the chunk taken by the writer and not yet reported written. */
  private long takenBytes;

  /** Guarded by lock. The most bytes ever held at once. */
  private long highWaterBytes;

  /** Guarded by lock. Once closed, nothing enters and the writer is told to stop. */
  private boolean closed;

  DelayLine(long delayNanos, long capacityBytes, AtomicLong proxyHighWater) {
    this.delayNanos = delayNanos;
    this.capacityBytes = capacityBytes;
    this.proxyHighWater = proxyHighWater;
  }

  /** The most a reader should read at once, so that one read always fits an empty line. */
  int chunkBytes(int bufferBytes) {
    return (int) Math.min(bufferBytes, capacityBytes);
  }

  /**
   * Queues a copy of {@code n} bytes, waiting while the line is full.
   *
   * @return false if the line was closed (the bytes are dropped)
   */
  boolean put(byte[] buf, int n) throws InterruptedException {
    final long due = System.nanoTime() + delayNanos;
    final byte[] copy = Arrays.copyOf(buf, n);
    lock.lock();
    try {
      while (!closed && heldBytes > 0 && heldBytes + n > capacityBytes) {
        changed.await();
      }
      if (closed) {
        return false;
      }
      queue.addLast(new Entry(Kind.BYTES, copy, due));
      heldBytes += n;
      if (heldBytes > highWaterBytes) {
        highWaterBytes = heldBytes;
        proxyHighWater.accumulateAndGet(heldBytes, Math::max);
      }
      changed.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Queues an event behind the bytes already queued; events hold no bytes, so never wait. */
  void put(Kind event) {
    final long due = System.nanoTime() + delayNanos;
    lock.lock();
    try {
      if (!closed) {
        queue.addLast(new Entry(event, NO_BYTES, due));
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for the oldest entry to fall due and takes it; the writer then calls {@link
   * #written} for its bytes.
   *
   * @return null once the line is closed
   */
  Entry take() throws InterruptedException {
    lock.lock();
    try {
      while (!closed) {
        final Entry head = queue.peekFirst();
        if (head == null) {
          changed.await();
          continue;
        }
        final long wait = head.dueNanos() - System.nanoTime();
        if (wait <= 0) {
          takenBytes = head.bytes().length;
          return queue.pollFirst();
        }
        changed.awaitNanos(wait);
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  /** The chunk last taken has been written on (or dropped): its bytes no longer count. */
  void written() {
    lock.lock();
    try {
      heldBytes -= takenBytes;
      takenBytes = 0;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Drops everything queued: a cut loses what was on the wire. The line stays open. */
  void clear() {
    lock.lock();
    try {
      queue.clear();
      heldBytes = takenBytes;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Drops everything and wakes both threads for good: the reader's puts fail, take ends. */
  void close() {
    lock.lock();
    try {
      closed = true;
      queue.clear();
      heldBytes = takenBytes;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The most bytes this line has held at once. */
  long highWaterBytes() {
    lock.lock();
    try {
      return highWaterBytes;
    } finally {
      lock.unlock();
    }
  }
}
