package dev.lifeline.store.internal;

/**
 * The byte sizes of the messages an outbox holds, oldest first, and their sum: what trimming a
 * prefix takes off {@code bytes()} without reading the files. A growable ring of ints.
 */
final class MessageSizes {
  private int[] sizes = new int[64];
  private int head;
  private int count;
  private long bytes;

  void add(int size) {
    if (count == sizes.length) {
      int[] bigger = new int[sizes.length * 2];
      for (int i = 0; i < count; i++) {
        bigger[i] = sizes[(head + i) % sizes.length];
      }
      sizes = bigger;
      head = 0;
    }
    sizes[(head + count) % sizes.length] = size;
    count++;
    bytes += size;
  }

  /** Forgets the {@code n} oldest sizes. */
  void removeFirst(long n) {
    for (long i = 0; i < n && count > 0; i++) {
      bytes -= sizes[head];
      head = (head + 1) % sizes.length;
      count--;
    }
  }

  void clear() {
    head = 0;
    count = 0;
    bytes = 0;
    if (sizes.length > 1024) {
      sizes = new int[64];
    }
  }

  int count() {
    return count;
  }

  long bytes() {
    return bytes;
  }
}
