package dev.lifeline.transfer.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Makes a receiver's file durable off its receive path. The receiver keeps writing chunks while
 * the fsync of what it wrote before runs on another thread; the checkpoint that claims those bytes
 * is committed only after that fsync returned (the durability contract is unchanged: nothing is
 * acknowledged before it is on disk). One sync at a time per file: while one runs, the receiver
 * does not start another, so the next checkpoint simply covers more bytes.
 *
 * <p>{@link #start} and {@link #await} are called from the receiver's one ordered thread.
 * Before the file is truncated, closed or renamed the receiver calls {@link #await}, so a sync
 * never races with those and a checkpoint taken before a rewind is never committed after it.
 */
final class BackgroundSync {
  /** Shared by every transfer in the process; threads end when idle. */
  private static final ExecutorService SYNCS = new ThreadPoolExecutor(0, Integer.MAX_VALUE,
      30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "lifeline-file-sync");
        t.setDaemon(true);
        return t;
      });

  private volatile CompletableFuture<Void> running = CompletableFuture.completedFuture(null);

  /** Whether no sync is running, so {@link #start} would start one. */
  boolean idle() {
    return running.isDone();
  }

  /**
   * Starts {@code file.force(false)} and then {@code checkpoint}, unless a sync is still running.
   * {@code failed} gets the error if the sync fails (the checkpoint is then not committed).
   *
   * @return whether it started
   */
  boolean start(FileChannel file, Runnable checkpoint, Consumer<IOException> failed) {
    if (!idle()) {
      return false;
    }
    running = CompletableFuture.runAsync(() -> {
      try {
        file.force(false);
      } catch (IOException e) {
        failed.accept(e);
        return;
      }
      checkpoint.run();
    }, SYNCS);
    return true;
  }

  /** Waits until the running sync (and its checkpoint call) is over, if one runs. */
  void await() {
    try {
      running.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      // a failed sync was reported to its callback already
    }
  }
}
