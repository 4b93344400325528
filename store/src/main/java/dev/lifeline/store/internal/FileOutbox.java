package dev.lifeline.store.internal;

import dev.lifeline.store.Outbox;
import dev.lifeline.store.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable outbox of {@link dev.lifeline.store.FileCheckpointStore}: append-only segment files
 * under the store directory (layout in {@link OutboxDescriptor}), with group commit.
 *
 * <p>{@link #append} only encodes the record (length, seq, CRC32C) into a pending buffer and
 * returns; a flush task on the store's outbox threads swaps that buffer out, writes it in one
 * call, forces it once, and then completes the batch's futures in order on the store's completion
 * thread. Appends that arrive while a force runs go into the next batch, so one busy appender
 * fills large batches without ever waiting for the disk. At most one flush task per outbox runs at
 * a time.
 *
 * <p>Locks: {@code this} guards the appender-side state below and is held only briefly; {@link
 * #io} guards the files and the durable state and may be held across a force. Order: {@link #io}
 * before {@code this}, never the reverse.
 */
public final class FileOutbox implements Outbox {
  private static final Logger log = LoggerFactory.getLogger(FileOutbox.class);

  private enum Phase { OPEN, CLOSING, CLOSED }

  private final String key;
  private final Path dir;
  private final byte[] producerId;
  private final FileOutboxes owner;
  private final ReentrantLock io = new ReentrantLock();
  /** Guarded by {@link #io}. */
  private final OutboxLog files;
  /** The last seq written and forced; guarded by {@link #io} (written also under this). */
  private long durableLastSeq;

  // Guarded by this:
  private final OutboxBatch batch = new OutboxBatch();
  private final MessageSizes sizes;
  private long firstSeq;
  private long lastSeq;
  /** The trim point last put in a batch: a TRIM record is written only when it moved. */
  private long trimWritten;
  /** Resets appended but not yet durable: until then no durable message is held. */
  private int resetsInFlight;
  /** Whether a flush task is queued or running (or close() is flushing itself). */
  private boolean scheduled;
  private Phase phase = Phase.OPEN;
  /** Set by a failed write; every later append fails with it until the outbox is reopened. */
  private StoreException broken;

  FileOutbox(String key, Path dir, byte[] producerId, OutboxRecovery.Result recovered,
      OutboxLog files, FileOutboxes owner) {
    this.key = key;
    this.dir = dir;
    this.producerId = producerId;
    this.files = files;
    this.owner = owner;
    this.sizes = recovered.sizes();
    this.firstSeq = recovered.firstSeq();
    this.lastSeq = recovered.lastSeq();
    this.durableLastSeq = lastSeq;
    this.trimWritten = firstSeq - 1;
  }

  String key() {
    return key;
  }

  @Override
  public byte[] producerId() {
    return producerId.clone();
  }

  @Override
  public synchronized long lastSeq() {
    return lastSeq;
  }

  @Override
  public synchronized long firstSeq() {
    return firstSeq;
  }

  @Override
  public synchronized long bytes() {
    return sizes.bytes();
  }

  @Override
  public CompletableFuture<Void> append(long seq, ByteBuffer message) {
    int length = message.remaining();
    if (length > OutboxDescriptor.MAX_MESSAGE_LENGTH) {
      throw new IllegalArgumentException("message: " + length + " bytes (expected: <= "
          + OutboxDescriptor.MAX_MESSAGE_LENGTH + ")");
    }
    CompletableFuture<Void> future = new CompletableFuture<>();
    synchronized (this) {
      if (seq != lastSeq + 1) {
        throw new IllegalArgumentException("seq " + seq + " (expected: " + (lastSeq + 1) + ")");
      }
      CompletableFuture<Void> refused = refusal();
      if (refused != null) {
        return refused;
      }
      batch.add(seq, OutboxDescriptor.TYPE_MESSAGE, message, future);
      lastSeq = seq;
      sizes.add(length);
      if (!scheduleFlush()) {
        return future;
      }
    }
    owner.flushLater(this::flushOnce);
    return future;
  }

  @Override
  public synchronized void trim(long seq) {
    long through = Math.min(seq, lastSeq);
    if (through >= firstSeq) {
      sizes.removeFirst(through + 1 - firstSeq);
      firstSeq = through + 1;
    }
  }

  @Override
  public CompletableFuture<Void> reset(long nextSeq) {
    if (nextSeq < 1) {
      throw new IllegalArgumentException("nextSeq: " + nextSeq + " (expected: >= 1)");
    }
    CompletableFuture<Void> future = new CompletableFuture<>();
    synchronized (this) {
      CompletableFuture<Void> refused = refusal();
      if (refused != null) {
        return refused;
      }
      batch.add(nextSeq, OutboxDescriptor.TYPE_RESET, null, future);
      resetsInFlight++;
      sizes.clear();
      firstSeq = nextSeq;
      lastSeq = nextSeq - 1;
      trimWritten = lastSeq;
      if (!scheduleFlush()) {
        return future;
      }
    }
    owner.flushLater(this::flushOnce);
    return future;
  }

  @Override
  public void read(Reader reader) throws StoreException {
    io.lock();
    try {
      long first;
      long last;
      synchronized (this) {
        if (phase == Phase.CLOSED) {
          throw new IllegalStateException("outbox " + key + " is closed");
        }
        if (resetsInFlight > 0) {
          return; // the durable messages are dropped, the new ones not yet durable
        }
        first = firstSeq;
        last = durableLastSeq;
      }
      files.read(first, last, reader);
    } catch (StoreException e) {
      throw e;
    } catch (IOException e) {
      throw new StoreException("cannot read outbox " + dir + ": " + e, e);
    } finally {
      io.unlock();
    }
  }

  /** Guarded by this: the refusal an append or reset gets now, or null. */
  private CompletableFuture<Void> refusal() {
    if (phase != Phase.OPEN) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("outbox " + key + " is closed"));
    }
    return broken == null ? null : CompletableFuture.failedFuture(broken);
  }

  /** Guarded by this: marks a flush as scheduled; true if the caller must submit it. */
  private boolean scheduleFlush() {
    if (scheduled) {
      return false;
    }
    scheduled = true;
    return true;
  }

  // ---- flushing (outbox threads, or close) ----------------------------------------------------

  /** Writes one batch; resubmits itself while more is pending, so outboxes take turns. */
  private void flushOnce() {
    OutboxBatch.Taken taken;
    synchronized (this) {
      taken = takeBatch(false);
      if (taken == null) {
        scheduled = false;
        notifyAll();
        return;
      }
    }
    write(taken);
    boolean more;
    synchronized (this) {
      more = broken == null && !batch.isEmpty();
      scheduled = more;
      if (!more) {
        notifyAll();
      }
    }
    if (more) {
      owner.flushLater(this::flushOnce);
    }
  }

  /**
   * Guarded by this: swaps out what is pending, adding a TRIM record if the trim point moved, or
   * returns null if there is nothing to write. A lone trim is written only when {@code closing}.
   */
  private OutboxBatch.Taken takeBatch(boolean closing) {
    if (broken != null) {
      return null;
    }
    boolean trimMoved = firstSeq - 1 > trimWritten;
    if (batch.isEmpty() && !(closing && trimMoved)) {
      return null;
    }
    if (trimMoved) {
      batch.add(firstSeq - 1, OutboxDescriptor.TYPE_TRIM, null, null);
      trimWritten = firstSeq - 1;
    }
    return batch.take(lastSeq);
  }

  private void write(OutboxBatch.Taken taken) {
    io.lock();
    try {
      try {
        files.append(taken.buffer(), taken.endLastSeq(), taken.resetEnd());
      } catch (IOException e) {
        failed(taken, e);
        return;
      }
      long first;
      synchronized (this) {
        durableLastSeq = taken.endLastSeq();
        resetsInFlight -= taken.resets();
        first = resetsInFlight == 0 ? firstSeq : Long.MIN_VALUE;
        batch.recycle(taken.buffer());
      }
      deleteDeadSegments(first); // rare (once per segment), and then a test sees it at once
      owner.complete(taken.futures(), null);
    } finally {
      io.unlock();
    }
  }

  /** Under io: segments wholly trimmed go; a failure here only costs disk space. */
  private void deleteDeadSegments(long first) {
    if (first == Long.MIN_VALUE) {
      return; // a reset is not durable yet: the old messages must survive a crash until it is
    }
    try {
      files.deleteDeadSegments(first);
    } catch (IOException e) {
      log.warn("cannot delete trimmed segments of outbox {}: {}", dir, e.toString());
    }
  }

  /** Under io: fails the batch and everything after it, and cuts the half-written bytes. */
  private void failed(OutboxBatch.Taken taken, IOException e) {
    StoreException failure = new StoreException("cannot write outbox file " + files.activePath()
        + " (key " + key + "): " + e.getMessage() + "; " + taken.futures().size()
        + " changes not stored, appends refused until the outbox is reopened", e);
    try {
      files.rollback();
    } catch (IOException rollbackFailure) {
      failure.addSuppressed(rollbackFailure);
      log.error("cannot cut outbox {} back to its last durable byte", files.activePath(),
          rollbackFailure);
    }
    log.warn("{}", failure.getMessage());
    List<CompletableFuture<Void>> failing = new ArrayList<>(taken.futures());
    synchronized (this) {
      broken = failure;
      failing.addAll(batch.abandon());
    }
    owner.complete(failing, failure);
  }

  // ---- closing --------------------------------------------------------------------------------

  @Override
  public void close() {
    try {
      shutDown(false);
    } catch (StoreException e) {
      throw new IllegalStateException("unreachable: nothing is deleted", e);
    }
  }

  @Override
  public void delete() throws StoreException {
    shutDown(true);
  }

  /** Flushes what is pending, closes the files (removing them if asked), then lets the key go. */
  private void shutDown(boolean deleteFiles) throws StoreException {
    boolean first = beginClose();
    if (first) {
      for (OutboxBatch.Taken taken; (taken = closingBatch()) != null; ) {
        write(taken);
      }
    }
    io.lock();
    try {
      files.close();
      if (deleteFiles) {
        files.deleteAll();
      }
    } finally {
      io.unlock();
      if (first) {
        synchronized (this) {
          phase = Phase.CLOSED;
          scheduled = false;
          notifyAll();
        }
        owner.closed(this);
      }
    }
  }

  /** Refuses appends and waits for a running flush; false if another close got here first. */
  private synchronized boolean beginClose() {
    if (phase != Phase.OPEN) {
      awaitUninterruptibly(() -> phase != Phase.CLOSED);
      return false;
    }
    phase = Phase.CLOSING;
    awaitUninterruptibly(() -> scheduled);
    scheduled = true; // close flushes the rest itself
    return true;
  }

  private synchronized OutboxBatch.Taken closingBatch() {
    return takeBatch(true);
  }

  /** Guarded by this. */
  private void awaitUninterruptibly(java.util.function.BooleanSupplier condition) {
    boolean interrupted = false;
    while (condition.getAsBoolean()) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized String toString() {
    return "FileOutbox{" + key + ", " + firstSeq + ".." + lastSeq + ", " + sizes.bytes()
        + " bytes}";
  }
}
