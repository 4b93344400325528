package dev.lifeline.store.internal;

import dev.lifeline.store.ExpiryListener;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.StoreStats;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file store: one writer thread owns the journal and applies every change, callers only
 * enqueue work and read the live map.
 *
 * <p>Ordering for each batch: encode all records, write, {@code force(false)}; only then publish
 * the changes to {@link #live} (so readers never see data that is not durable) and only after that
 * complete the futures, on a separate thread so callers' continuations never delay the next
 * batch. Commits that arrive while a sync is in flight queue up and share the next sync.
 */
public final class FileStoreEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FileStoreEngine.class);
  /** A batch stops growing at this many journal bytes. */
  static final int MAX_BATCH_BYTES = 4 << 20;

  /** Everything the engine needs from its builder. */
  public record Config(Path dir, Clock clock, Duration ttl, Duration groupCommitWindow,
      long snapshotAfterBytes, long flatSnapshotMaxBytes, Duration sweepInterval,
      ExpiryListener expiryListener, JournalChannels channels) {
    /** Snapshots of at most this many bytes of records are flat files; larger ones MapDB files. */
    public static final long DEFAULT_FLAT_SNAPSHOT_MAX_BYTES = Snapshots.DEFAULT_FLAT_MAX_BYTES;
  }

  private final Config config;
  private final long ttlMillis;
  private final StoreDirectory dir;
  private final JournalWriter journal;
  /** The durable records; written only by the writer thread, read by anyone. */
  private final Map<String, SessionRecord> live;
  private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  private final Object submitLock = new Object();
  private final Thread writerThread;
  private final ExecutorService acks;
  private final ScheduledExecutorService background;
  private final AtomicLong syncs = new AtomicLong();
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong snapshots = new AtomicLong();
  private final AtomicLong failedWrites = new AtomicLong();
  /** Guarded by {@link #submitLock}. */
  private boolean closed;
  /** Set when the journal could not be put back after a failed write; the store then refuses. */
  private volatile StoreException broken;

  // Writer thread only:
  private long nextSequence;
  private long snapshotSequence;
  private long bytesSinceSnapshot;
  private boolean snapshotRunning;
  private final List<CompletableFuture<Void>> snapshotRequests = new ArrayList<>();

  private FileStoreEngine(Config config, StoreDirectory dir, Recovery.Result recovered)
      throws IOException {
    this.config = config;
    this.ttlMillis = config.ttl().toMillis();
    this.dir = dir;
    this.live = new ConcurrentHashMap<>(recovered.records());
    this.nextSequence = recovered.nextSequence();
    this.snapshotSequence = recovered.snapshotSequence();
    // a long replay is a reason to snapshot soon, even if this process writes little
    this.bytesSinceSnapshot = recovered.replayedBytes();
    this.journal = new JournalWriter(dir, config.channels());
    if (recovered.appendSegment() != null) {
      journal.openExisting(recovered.appendSegment(), recovered.appendSegmentFirst(),
          recovered.appendOffset());
    } else {
      journal.startSegment(nextSequence);
    }
    String name = dir.path().getFileName().toString();
    this.acks = Executors.newSingleThreadExecutor(daemon("lifeline-store-ack-" + name));
    this.background =
        Executors.newSingleThreadScheduledExecutor(daemon("lifeline-store-background-" + name));
    this.writerThread = daemon("lifeline-store-writer-" + name).newThread(this::runWriter);
  }

  /** Locks the directory, recovers it and starts the writer. */
  public static FileStoreEngine open(Config config) throws StoreException {
    StoreDirectory dir = StoreDirectory.lock(config.dir());
    try {
      FileStoreEngine engine = new FileStoreEngine(config, dir, Recovery.recover(dir));
      engine.start();
      return engine;
    } catch (StoreException e) {
      dir.close();
      throw e;
    } catch (IOException | RuntimeException e) {
      dir.close();
      throw new StoreException("cannot open store " + dir.path() + ": " + e, e);
    }
  }

  private void start() {
    writerThread.start();
    long sweepMillis = config.sweepInterval().toMillis();
    if (sweepMillis > 0) {
      background.scheduleWithFixedDelay(() -> sweep().exceptionally(e -> {
        log.warn("scheduled sweep of store {} failed", dir.path(), e);
        return null;
      }), sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    }
  }

  public Path directory() {
    return dir.path();
  }

  // ---- caller side ----------------------------------------------------------------------------

  public CompletableFuture<Void> put(SessionRecord record) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    return submit(new Op.Put(record, f), f);
  }

  public CompletableFuture<Void> commit(String id, dev.lifeline.store.Checkpoint checkpoint) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    return submit(new Op.Commit(id, checkpoint, f), f);
  }

  public CompletableFuture<Void> delete(String id) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    return submit(new Op.Delete(id, f), f);
  }

  public CompletableFuture<List<String>> sweep() {
    CompletableFuture<List<String>> f = new CompletableFuture<>();
    return submit(new Op.Sweep(f), f);
  }

  public CompletableFuture<Void> snapshot() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    return submit(new Op.Snapshot(f), f);
  }

  public CompletableFuture<Optional<SessionRecord>> load(String id) {
    CompletableFuture<Optional<SessionRecord>> refused = refusal();
    if (refused != null) {
      return refused;
    }
    SessionRecord r = live.get(id);
    boolean gone = r == null || StoreRules.isExpired(r, ttlMillis, config.clock().millis());
    return CompletableFuture.completedFuture(gone ? Optional.empty() : Optional.of(r));
  }

  public CompletableFuture<List<String>> ids() {
    CompletableFuture<List<String>> refused = refusal();
    if (refused != null) {
      return refused;
    }
    long now = config.clock().millis();
    List<String> ids = new ArrayList<>();
    for (SessionRecord r : live.values()) {
      if (!StoreRules.isExpired(r, ttlMillis, now)) {
        ids.add(r.id());
      }
    }
    return CompletableFuture.completedFuture(ids);
  }

  public StoreStats stats() {
    return new StoreStats(syncs.get(), records.get(), snapshots.get(), failedWrites.get());
  }

  private <T> CompletableFuture<T> submit(Op op, CompletableFuture<T> future) {
    synchronized (submitLock) {
      CompletableFuture<T> refused = refusal();
      if (refused != null) {
        return refused;
      }
      queue.add(op);
    }
    return future;
  }

  private <T> CompletableFuture<T> refusal() {
    synchronized (submitLock) {
      if (closed) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("store " + dir.path() + " is closed"));
      }
    }
    StoreException b = broken;
    return b == null ? null : CompletableFuture.failedFuture(b);
  }

  // ---- writer thread --------------------------------------------------------------------------

  private void runWriter() {
    List<Op> batch = new ArrayList<>();
    boolean stop = false;
    while (!stop) {
      batch.clear();
      batch.add(takeUninterruptibly());
      gather(batch);
      try {
        stop = process(batch);
      } catch (RuntimeException | Error e) {
        log.error("store writer of {} failed", dir.path(), e);
        broken = new StoreException("store " + dir.path() + " writer failed: " + e, e);
        for (Op op : batch) {
          fail(op, broken);
        }
      }
    }
  }

  private Op takeUninterruptibly() {
    while (true) {
      try {
        return queue.take();
      } catch (InterruptedException e) {
        // the writer stops only through Op.Stop, so no request is ever stranded
      }
    }
  }

  /** Adds queued ops to the batch: all that are waiting, or those within the commit window. */
  private void gather(List<Op> batch) {
    long windowNanos = config.groupCommitWindow().toNanos();
    long deadline = System.nanoTime() + windowNanos;
    int bytes = batch.get(0).estimatedBytes();
    while (bytes < MAX_BATCH_BYTES && !(batch.get(batch.size() - 1) instanceof Op.Stop)) {
      Op op = queue.poll();
      long wait = deadline - System.nanoTime();
      if (op == null && windowNanos > 0 && wait > 0) {
        try {
          op = queue.poll(wait, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          op = null;
        }
      }
      if (op == null) {
        return;
      }
      batch.add(op);
      bytes += op.estimatedBytes();
    }
  }

  /** Journals, syncs and publishes one batch; returns true if the writer should stop. */
  private boolean process(List<Op> ops) {
    BatchBuilder batch = new BatchBuilder(live, journal, nextSequence, config.clock().millis(),
        ttlMillis);
    boolean stop = false;
    for (Op op : ops) {
      if (op instanceof Op.Stop) {
        stop = true;
      } else if (op instanceof Op.Snapshot s) {
        snapshotRequests.add(s.future());
      } else if (op instanceof Op.SnapshotDone d) {
        snapshotFinished(d);
      } else {
        batch.add(op);
      }
    }
    if (batch.recordCount() > 0 && !syncBatch(batch)) {
      StoreException failure = lastWriteFailure;
      acks.execute(() -> batch.failAll(failure));
      return stop;
    }
    nextSequence = batch.nextSequence();
    bytesSinceSnapshot += batch.bytes();
    batch.publish(live);
    List<Runnable> completions = batch.completions(config.expiryListener());
    if (!completions.isEmpty()) {
      acks.execute(() -> completions.forEach(Runnable::run));
    }
    if (stop) {
      failSnapshotRequests(new IllegalStateException("store " + dir.path() + " is closed"));
    } else {
      maybeSnapshot();
    }
    return stop;
  }

  /** Writer thread only: why the last batch failed. */
  private StoreException lastWriteFailure;

  /** Writes and syncs the batch; on failure undoes the partial write and returns false. */
  private boolean syncBatch(BatchBuilder batch) {
    try {
      journal.writeAndSync();
      syncs.incrementAndGet();
      records.addAndGet(batch.recordCount());
      return true;
    } catch (IOException e) {
      failedWrites.incrementAndGet();
      lastWriteFailure = new StoreException("cannot write journal " + journal.segment() + ": "
          + e.getMessage() + " (" + batch.recordCount() + " changes not stored)", e);
      log.warn("{}", lastWriteFailure.getMessage());
      try {
        journal.rollback();
      } catch (IOException rollbackFailure) {
        broken = new StoreException("store " + dir.path() + " stopped: journal "
            + journal.segment() + " could not be restored after a failed write; reopen the store",
            rollbackFailure);
        log.error("{}", broken.getMessage(), rollbackFailure);
      }
      return false;
    }
  }

  private void maybeSnapshot() {
    boolean due = bytesSinceSnapshot >= config.snapshotAfterBytes() || !snapshotRequests.isEmpty();
    if (!due || snapshotRunning) {
      return;
    }
    List<CompletableFuture<Void>> waiting = new ArrayList<>(snapshotRequests);
    snapshotRequests.clear();
    long sequence = nextSequence - 1;
    if (sequence == snapshotSequence) {
      acks.execute(() -> waiting.forEach(f -> f.complete(null)));
      return;
    }
    try {
      if (journal.segmentFirstSequence() != nextSequence) {
        journal.startSegment(nextSequence); // the snapshot's records end where a segment ends
      }
    } catch (IOException e) {
      log.warn("cannot start a new journal segment in {} for a snapshot: {}", dir.path(), e);
      StoreException failure = new StoreException("cannot snapshot store " + dir.path(), e);
      acks.execute(() -> waiting.forEach(f -> f.completeExceptionally(failure)));
      bytesSinceSnapshot = 0;
      return;
    }
    Map<String, SessionRecord> copy = new HashMap<>(live);
    snapshotRunning = true;
    snapshotSequence = sequence;
    bytesSinceSnapshot = 0;
    background.execute(() -> writeSnapshot(sequence, copy, waiting));
  }

  private void writeSnapshot(long sequence, Map<String, SessionRecord> copy,
      List<CompletableFuture<Void>> waiting) {
    Throwable error = null;
    try {
      Path file = Snapshots.write(dir, sequence, copy, config.flatSnapshotMaxBytes());
      snapshots.incrementAndGet();
      log.debug("snapshot {} written: {} records", file, copy.size());
      Retention.deleteObsolete(dir);
    } catch (IOException | RuntimeException e) {
      log.warn("snapshot of store {} at sequence {} failed; the journal keeps everything",
          dir.path(), sequence, e);
      error = e;
    }
    queue.add(new Op.SnapshotDone(error, waiting));
  }

  private void snapshotFinished(Op.SnapshotDone done) {
    snapshotRunning = false;
    Throwable error = done.error();
    acks.execute(() -> done.waiting().forEach(f -> {
      if (error == null) {
        f.complete(null);
      } else {
        f.completeExceptionally(new StoreException("snapshot of " + dir.path() + " failed", error));
      }
    }));
  }

  private void failSnapshotRequests(Throwable error) {
    List<CompletableFuture<Void>> waiting = new ArrayList<>(snapshotRequests);
    snapshotRequests.clear();
    acks.execute(() -> waiting.forEach(f -> f.completeExceptionally(error)));
  }

  static void fail(Op op, Throwable error) {
    if (op instanceof Op.Put p) {
      p.future().completeExceptionally(error);
    } else if (op instanceof Op.Commit c) {
      c.future().completeExceptionally(error);
    } else if (op instanceof Op.Delete d) {
      d.future().completeExceptionally(error);
    } else if (op instanceof Op.Sweep s) {
      s.future().completeExceptionally(error);
    } else if (op instanceof Op.Snapshot s) {
      s.future().completeExceptionally(error);
    } else if (op instanceof Op.SnapshotDone d) {
      d.waiting().forEach(f -> f.completeExceptionally(error));
    }
  }

  // ---- closing --------------------------------------------------------------------------------

  @Override
  public void close() {
    synchronized (submitLock) {
      if (closed) {
        return;
      }
      closed = true;
      queue.add(new Op.Stop());
    }
    joinUninterruptibly(writerThread);
    background.shutdown(); // lets a running snapshot finish
    awaitQuietly(background);
    IllegalStateException closedError =
        new IllegalStateException("store " + dir.path() + " is closed");
    for (Op op; (op = queue.poll()) != null; ) {
      fail(op, closedError);
    }
    acks.shutdown();
    awaitQuietly(acks);
    try {
      journal.close();
    } catch (IOException e) {
      log.warn("closing journal {} failed", journal.segment(), e);
    }
    dir.close();
    log.debug("closed store {}: {}", dir.path(), stats());
  }

  private static void joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    while (t.isAlive()) {
      try {
        t.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitQuietly(ExecutorService executor) {
    try {
      if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
        log.warn("store thread did not stop within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
