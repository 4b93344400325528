package dev.lifeline.store.internal;

import dev.lifeline.store.Outbox;
import dev.lifeline.store.StoreException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An outbox held in memory: durable as long as the process (and the store object) lives. Backs
 * {@link dev.lifeline.store.InMemoryCheckpointStore}, for tests and for processes that do not
 * restart.
 */
public final class MemoryOutbox implements Outbox {
  private final byte[] producerId = new byte[16];
  private final ArrayDeque<byte[]> messages = new ArrayDeque<>();
  private long firstSeq = 1;
  private long bytes;
  private boolean deleted;

  public MemoryOutbox() {
    new SecureRandom().nextBytes(producerId);
  }

  @Override
  public byte[] producerId() {
    return producerId.clone();
  }

  @Override
  public synchronized long lastSeq() {
    return firstSeq + messages.size() - 1;
  }

  @Override
  public synchronized long firstSeq() {
    return firstSeq;
  }

  @Override
  public synchronized long bytes() {
    return bytes;
  }

  @Override
  public synchronized CompletableFuture<Void> append(long seq, ByteBuffer message) {
    if (seq != lastSeq() + 1) {
      throw new IllegalArgumentException("seq " + seq + " (expected: " + (lastSeq() + 1) + ")");
    }
    if (deleted) {
      return CompletableFuture.failedFuture(new StoreException("outbox was deleted"));
    }
    byte[] copy = new byte[message.remaining()];
    message.duplicate().get(copy);
    messages.addLast(copy);
    bytes += copy.length;
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized void trim(long seq) {
    while (!messages.isEmpty() && firstSeq <= seq) {
      bytes -= messages.removeFirst().length;
      firstSeq++;
    }
  }

  @Override
  public synchronized CompletableFuture<Void> reset(long nextSeq) {
    messages.clear();
    bytes = 0;
    firstSeq = nextSeq;
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void read(Reader reader) throws StoreException {
    long seq;
    List<byte[]> copy;
    synchronized (this) {
      seq = firstSeq;
      copy = new ArrayList<>(messages);
    }
    for (byte[] m : copy) {
      reader.message(seq++, ByteBuffer.wrap(m).asReadOnlyBuffer());
    }
  }

  @Override
  public synchronized void delete() {
    messages.clear();
    bytes = 0;
    deleted = true;
  }

  /** Whether {@link #delete} ended it. */
  public synchronized boolean isDeleted() {
    return deleted;
  }

  @Override
  public void close() {}

  @Override
  public synchronized String toString() {
    return "MemoryOutbox{" + firstSeq + ".." + lastSeq() + ", " + bytes + " bytes}";
  }
}
