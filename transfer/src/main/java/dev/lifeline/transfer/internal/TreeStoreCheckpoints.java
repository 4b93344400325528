package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.store.SessionTakenException;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.UnknownSessionException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints of a tree upload's receiver, shared by its files: due every {@code
 * checkpointBytes} or {@code checkpointNanos} across files (and on a timer when nothing arrives,
 * so a client whose replay buffer is full gets its acknowledgement). Each one syncs what it
 * claims on another thread first ({@link TreeStoreSync}): the files finished since the last
 * one, their directories, and the file in progress. A commit the store could not take for a
 * passing reason is tried again every second until a later checkpoint replaces it.
 *
 * <p>Confined to the session's ordered thread, except the commit, which runs on the sync
 * thread after its fsyncs.
 */
final class TreeStoreCheckpoints {
  private static final Logger log = LoggerFactory.getLogger(TreeStoreCheckpoints.class);

  /** What a checkpoint says and the file in progress it claims (null partial between files). */
  record Current(byte[] state, Path partial, Path target) {}

  private final Session session;
  private final TransferService service;
  private final Path partialDir;
  private final Supplier<Current> current;
  private final TreeStoreSync sync = new TreeStoreSync();
  private final List<Path> finishedSince = new ArrayList<>();
  private final Set<Path> dirsSince = new LinkedHashSet<>();
  private long lastSeq;
  private long lastCheckpointSeq;
  private long sinceCheckpoint;
  private long lastCheckpointNanos = System.nanoTime();
  private long generation; // of the last checkpoint started; a retried one is dropped if stale
  private boolean idleCheckScheduled;

  TreeStoreCheckpoints(Session session, TransferService service, Path partialDir,
      Supplier<Current> current) {
    this.session = session;
    this.service = service;
    this.partialDir = partialDir;
    this.current = current;
  }

  /** Message {@code seq} was processed. */
  void received(long seq) {
    lastSeq = seq;
  }

  void wrote(long bytes) {
    sinceCheckpoint += bytes;
  }

  /** A file was moved into place: the next checkpoint syncs it and its directory. */
  void finished(Path file) {
    finishedSince.add(file);
    dirsSince.add(file.getParent());
  }

  /** A directory's entries changed: the next checkpoint syncs it. */
  void changed(Path directory) {
    dirsSince.add(directory);
  }

  /** Whether every message processed is covered by a checkpoint started already. */
  boolean allStarted() {
    return lastSeq == lastCheckpointSeq;
  }

  void checkpointIfDue() {
    boolean due = sinceCheckpoint >= service.checkpointBytes()
        || System.nanoTime() - lastCheckpointNanos >= service.checkpointNanos();
    if (due && sync.idle()) {
      checkpoint(lastSeq, null);
    } else if (!idleCheckScheduled) {
      // A sender whose replay buffer is full waits for an acknowledgement: no message would
      // come to trigger the next checkpoint, so a timer checks too.
      idleCheckScheduled = true;
      service.retryLater(session, this::checkpointIfIdle,
          Math.max(1, service.checkpointNanos() / 1_000_000));
    }
  }

  private void checkpointIfIdle() {
    idleCheckScheduled = false;
    if (!session.closeFuture().isDone() && !allStarted()) {
      checkpointIfDue();
    }
  }

  /**
   * A checkpoint at {@code seq} now, once the running one is over; {@code landed} runs on the
   * session thread once it is stored (SET_DONE is answered so).
   */
  void checkpointNow(long seq, Runnable landed) {
    lastSeq = seq;
    sync.await();
    checkpoint(seq, landed);
  }

  private void checkpoint(long seq, Runnable landed) {
    Current c = current.get();
    List<Path> dirs = new ArrayList<>(dirsSince);
    dirs.add(partialDir);
    TreeStoreSync.Batch batch = new TreeStoreSync.Batch(List.copyOf(finishedSince), dirs,
        c.partial(), c.target());
    finishedSince.clear();
    dirsSince.clear();
    sinceCheckpoint = 0;
    lastCheckpointNanos = System.nanoTime();
    lastCheckpointSeq = seq;
    long gen = ++generation;
    sync.start(batch, () -> commit(seq, c.state(), gen, landed), e -> session.runInOrder(() -> {
      log.warn("session {}: cannot make files durable: {}", session.id(), e.toString());
      finishedSince.addAll(batch.files()); // the next checkpoint tries them again
      lastCheckpointSeq = Math.min(lastCheckpointSeq, seq - 1);
    }));
  }

  /** Commits, retrying every second what the store could not take for a passing reason. */
  private void commit(long seq, byte[] state, long gen, Runnable landed) {
    CompletableFuture<Void> stored = ReceivingFile.commit(session, seq, state);
    if (stored == null) {
      return; // the stream was rewound meanwhile; the rewind decides
    }
    stored.whenComplete((v, e) -> {
      if (e == null) {
        if (landed != null) {
          session.runInOrder(landed);
        }
        return;
      }
      Throwable cause = e instanceof CompletionException && e.getCause() != null
          ? e.getCause() : e;
      boolean retry = cause instanceof StoreException
          && !(cause instanceof SessionTakenException)
          && !(cause instanceof UnknownSessionException) && !session.closeFuture().isDone();
      log.warn("session {}: checkpoint not stored{}: {}", session.id(),
          retry ? " (retrying in 1 s)" : "", cause.toString());
      if (retry) {
        service.retryLater(session, () -> {
          if (gen == generation && !session.closeFuture().isDone()) {
            commit(seq, state, gen, landed);
          }
        }, 1000);
      }
    });
  }

  /** The stream went back to the checkpoint at {@code position}: what followed is forgotten. */
  void rewound(long position) {
    sync.await();
    finishedSince.clear();
    dirsSince.clear();
    lastSeq = lastCheckpointSeq = position;
    sinceCheckpoint = 0;
  }

  /** Waits for the running sync, if one runs. */
  void awaitSync() {
    sync.await();
  }
}
