package dev.lifeline.store;

import dev.lifeline.store.internal.FileOutboxes;
import dev.lifeline.store.internal.FileStoreEngine;
import dev.lifeline.store.internal.JournalChannels;
import dev.lifeline.store.internal.StoreRules;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The embedded, crash-safe {@link CheckpointStore}: a directory holding an append-only journal and
 * snapshots (MapDB files, or small flat files while the records are few). A returned future
 * completes only after the change was forced to disk, so an acknowledged change survives {@code
 * kill -9} and power loss; concurrent changes share one sync (group commit). See {@code
 * docs/store.md} for the file format and recovery rules.
 *
 * <p>Only one process may open a directory; a second gets a {@link StoreLockedException}. A
 * damaged file is reported with a {@link StoreCorruptedException} naming it, never replaced by an
 * empty store.
 *
 * <pre>{@code
 * try (FileCheckpointStore store = FileCheckpointStore.builder(Path.of("data/sessions"))
 *     .ttl(Duration.ofHours(12))
 *     .sweepInterval(Duration.ofMinutes(5))
 *     .build()) {
 *   store.put(record).join();
 *   store.commit(record.id(), Checkpoint.of(42, state)).join(); // durable: acknowledge 42
 * }
 * }</pre>
 */
public final class FileCheckpointStore implements CheckpointStore {
  private final FileStoreEngine engine;
  private final FileOutboxes outboxes;

  private FileCheckpointStore(FileStoreEngine engine, JournalChannels channels) {
    this.engine = engine;
    this.outboxes = new FileOutboxes(engine.directory(), channels);
  }

  /** Opens (creating if needed) the store in {@code dir} with default settings. */
  public static FileCheckpointStore open(Path dir) throws StoreException {
    return builder(dir).build();
  }

  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  @Override
  public CompletableFuture<Void> put(SessionRecord record) {
    return engine.put(Objects.requireNonNull(record, "record"));
  }

  @Override
  public CompletableFuture<Void> commit(String id, Checkpoint checkpoint) {
    return engine.commit(Objects.requireNonNull(id, "id"),
        Objects.requireNonNull(checkpoint, "checkpoint"));
  }

  @Override
  public CompletableFuture<Optional<SessionRecord>> load(String id) {
    try {
      SessionRecord.validateId(id);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return engine.load(id);
  }

  @Override
  public CompletableFuture<Void> delete(String id) {
    return engine.delete(Objects.requireNonNull(id, "id"));
  }

  @Override
  public CompletableFuture<List<String>> ids() {
    return engine.ids();
  }

  @Override
  public CompletableFuture<List<String>> sweepExpired() {
    return engine.sweep();
  }

  /** Yes: under {@code outbox/} in the store directory (see {@code docs/store.md}). */
  @Override
  public boolean supportsOutbox() {
    return true;
  }

  /**
   * Opens, creating it if absent, the outbox of {@code key} in {@code outbox/} of the store
   * directory; appends share forces (group commit) and never wait for the disk.
   *
   * @throws IllegalStateException if this process has the key's outbox open already, or the store
   *     is closed
   * @throws IllegalArgumentException if {@code key} is empty, longer than 1024 characters or not
   *     printable ASCII
   * @throws StoreCorruptedException naming the file if its data is damaged
   */
  @Override
  public Outbox openOutbox(String key) throws StoreException {
    return outboxes.open(key);
  }

  @Override
  public void deleteOutbox(String key) throws StoreException {
    outboxes.deleteClosed(key);
  }

  /**
   * Writes a snapshot of everything acknowledged so far and deletes journal segments and
   * snapshots it made unnecessary. The store also does this by itself every {@link
   * Builder#snapshotAfterBytes} journal bytes; call it before a backup to keep the copy small.
   */
  public CompletableFuture<Void> compact() {
    return engine.snapshot();
  }

  /** Counters since the store was opened. */
  public StoreStats stats() {
    return engine.stats();
  }

  /** The absolute store directory. */
  public Path directory() {
    return engine.directory();
  }

  /**
   * Waits for queued changes to become durable, closes the open outboxes (writing what they hold
   * pending), then releases the files and the lock.
   */
  @Override
  public void close() {
    outboxes.close();
    engine.close();
  }

  @Override
  public String toString() {
    return "FileCheckpointStore{" + directory() + "}";
  }

  /** Configures a {@link FileCheckpointStore}; {@link #build()} opens it. */
  public static final class Builder {
    private final Path dir;
    private Clock clock = Clock.systemUTC();
    private Duration ttl = StoreRules.DEFAULT_TTL;
    private Duration groupCommitWindow = Duration.ZERO;
    private long snapshotAfterBytes = 64L << 20;
    private long flatSnapshotMaxBytes = FileStoreEngine.Config.DEFAULT_FLAT_SNAPSHOT_MAX_BYTES;
    private Duration sweepInterval = Duration.ZERO;
    private ExpiryListener expiryListener = ExpiryListener.NONE;
    private JournalChannels channels = JournalChannels.DEFAULT;

    private Builder(Path dir) {
      this.dir = Objects.requireNonNull(dir, "dir");
    }

    /** How long a record lives after its last activity; default one day. */
    public Builder ttl(Duration ttl) {
      this.ttl = StoreRules.checkTtl(Objects.requireNonNull(ttl, "ttl"));
      return this;
    }

    /** The time source for expiry and for the activity time a commit sets. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How long the writer waits for more changes before syncing a batch; default zero. Changes
     * that arrive while a sync is running share the next one anyway; a window only helps when
     * callers arrive spread out and the disk's sync is slow, at the price of that much latency.
     */
    public Builder groupCommitWindow(Duration window) {
      if (window.isNegative() || window.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new IllegalArgumentException(
            "groupCommitWindow: " + window + " (expected: 0..PT1S)");
      }
      this.groupCommitWindow = window;
      return this;
    }

    /** Journal bytes after which a snapshot is written and older files deleted; default 64 MiB. */
    public Builder snapshotAfterBytes(long bytes) {
      if (bytes < 4096) {
        throw new IllegalArgumentException("snapshotAfterBytes: " + bytes + " (expected: >= 4096)");
      }
      this.snapshotAfterBytes = bytes;
      return this;
    }

    /** Runs {@link #sweepExpired()} this often; zero (the default) never sweeps by itself. */
    public Builder sweepInterval(Duration interval) {
      this.sweepInterval = StoreRules.checkNotNegative("sweepInterval", interval);
      return this;
    }

    /** Told about every record a sweep removed. */
    public Builder expiryListener(ExpiryListener listener) {
      this.expiryListener = Objects.requireNonNull(listener, "expiryListener");
      return this;
    }

    /**
     * For tests: snapshots of at most this many bytes of records are flat files, larger ones MapDB
     * files; -1 writes MapDB files only. Default 1 MiB.
     */
    Builder flatSnapshotMaxBytes(long bytes) {
      this.flatSnapshotMaxBytes = bytes;
      return this;
    }

    /** For fault-injection tests: how journal and outbox segment files are opened. */
    Builder journalChannels(JournalChannels channels) {
      this.channels = Objects.requireNonNull(channels, "channels");
      return this;
    }

    /**
     * Locks and recovers the directory.
     *
     * @throws StoreLockedException if another process has it open
     * @throws StoreCorruptedException naming the file if recovery meets damaged data
     */
    public FileCheckpointStore build() throws StoreException {
      return new FileCheckpointStore(FileStoreEngine.open(new FileStoreEngine.Config(dir, clock,
          ttl, groupCommitWindow, snapshotAfterBytes, flatSnapshotMaxBytes, sweepInterval,
          expiryListener, channels)), channels);
    }
  }
}
