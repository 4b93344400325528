package dev.lifeline.store.internal;

import dev.lifeline.store.Outbox;
import dev.lifeline.store.StoreCorruptedException;
import dev.lifeline.store.StoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outboxes of one file store: opens them under {@code <store>/outbox/}, makes sure a key is
 * open at most once, and owns the threads they share: a few flush threads (each outbox's batches
 * run on one of them at a time, so many outboxes force their files in parallel) and one completion
 * thread that completes futures in the order their batches became durable. Threads start with the
 * first outbox and stop when idle.
 */
public final class FileOutboxes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FileOutboxes.class);
  /** Forces of different files overlap on the disk; more threads than cores is the point. */
  private static final int FLUSH_THREADS = 4;

  private final Path root;
  private final JournalChannels channels;
  /** Keys open or being opened; guarded by this. */
  private final Set<String> keys = new HashSet<>();
  /** Guarded by this. */
  private final Map<String, FileOutbox> open = new HashMap<>();
  /** Guarded by this. */
  private boolean closed;
  private final ThreadPoolExecutor flushers;
  private final ThreadPoolExecutor completions;

  public FileOutboxes(Path storeDir, JournalChannels channels) {
    this.root = storeDir.resolve("outbox");
    this.channels = channels;
    String name = storeDir.getFileName() == null ? "" : storeDir.getFileName().toString();
    this.flushers = idlePool(FLUSH_THREADS, "lifeline-outbox-flush-" + name);
    this.completions = idlePool(1, "lifeline-outbox-ack-" + name);
  }

  /**
   * Opens, creating if absent, the outbox of {@code key}.
   *
   * @throws IllegalStateException if it is open already, or the store is closed
   * @throws IllegalArgumentException if the key is empty, too long or not printable ASCII
   */
  public Outbox open(String key) throws StoreException {
    checkKey(key);
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("store " + root.getParent() + " is closed");
      }
      if (!keys.add(key)) {
        throw new IllegalStateException("outbox " + key + " is already open in this process");
      }
    }
    FileOutbox outbox = null;
    boolean lateForClose;
    try {
      outbox = load(key);
    } finally {
      synchronized (this) {
        lateForClose = closed && outbox != null;
        if (outbox == null || lateForClose) {
          keys.remove(key);
        } else {
          open.put(key, outbox);
        }
      }
    }
    if (lateForClose) {
      outbox.close(); // the store's close did not see it
      throw new IllegalStateException("store " + root.getParent() + " is closed");
    }
    return outbox;
  }

  /**
   * Removes the files of {@code key}'s outbox if it has any and is not open (its session expired
   * without coming back); an open one is left to its owner.
   */
  public void deleteClosed(String key) throws StoreException {
    checkKey(key);
    synchronized (this) {
      if (closed || keys.contains(key)) {
        return;
      }
      keys.add(key); // nobody opens it while its files go
    }
    Path dir = root.resolve(directoryName(key));
    try {
      if (Files.isDirectory(dir)) {
        try (var files = Files.list(dir)) {
          for (Path f : (Iterable<Path>) files::iterator) {
            Files.deleteIfExists(f);
          }
        }
        Files.deleteIfExists(dir);
        syncDirectory(root);
      }
    } catch (IOException e) {
      throw new StoreException("cannot delete outbox " + key + " in " + dir + ": " + e, e);
    } finally {
      synchronized (this) {
        keys.remove(key);
      }
    }
  }

  private FileOutbox load(String key) throws StoreException {
    Path dir = root.resolve(directoryName(key));
    try {
      byte[] producerId;
      Files.deleteIfExists(dir.resolve(OutboxMeta.TEMP));
      if (Files.exists(dir.resolve(OutboxMeta.FILE))) {
        producerId = OutboxMeta.read(dir, key);
      } else {
        producerId = create(dir, key);
      }
      OutboxRecovery.Result recovered = OutboxRecovery.recover(dir);
      OutboxLog files = new OutboxLog(dir, channels, recovered.segments(),
          recovered.liveSegment(), recovered.liveOffset());
      return new FileOutbox(key, dir, producerId, recovered, files, this);
    } catch (StoreException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new StoreException("cannot open outbox " + key + " in " + dir + ": " + e, e);
    }
  }

  /** Makes the directory and its meta file; segments without a meta file are corruption. */
  private byte[] create(Path dir, String key) throws IOException {
    if (Files.isDirectory(dir)) {
      try (var files = Files.newDirectoryStream(dir, "segment-*.log")) {
        if (files.iterator().hasNext()) {
          throw new StoreCorruptedException(dir.resolve(OutboxMeta.FILE),
              "missing, but the outbox has segments");
        }
      }
    }
    boolean rootExisted = Files.isDirectory(root);
    Files.createDirectories(dir);
    syncDirectory(root);
    if (!rootExisted) {
      syncDirectory(root.getParent());
    }
    return OutboxMeta.create(dir, key);
  }

  private static void checkKey(String key) {
    if (key == null || key.isEmpty() || key.length() > OutboxDescriptor.MAX_KEY_LENGTH) {
      throw new IllegalArgumentException("key: " + (key == null ? "null" : key.length()
          + " chars") + " (expected: 1.." + OutboxDescriptor.MAX_KEY_LENGTH + " chars)");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7E) {
        throw new IllegalArgumentException("key: character " + (int) c + " at index " + i
            + " (expected: printable ASCII)");
      }
    }
  }

  /** Keys are arbitrary text, never a file name: the directory is named by their hash. */
  static String directoryName(String key) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256")
          .digest(key.getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(hash, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  void flushLater(Runnable flush) {
    try {
      flushers.execute(flush);
    } catch (RejectedExecutionException e) {
      flush.run(); // the store is closing: the outbox's own close waits for this anyway
    }
  }

  /** Completes (or fails, if {@code error} is set) the futures in order, off the flush thread. */
  void complete(List<CompletableFuture<Void>> futures, Throwable error) {
    if (futures.isEmpty()) {
      return;
    }
    Runnable task = () -> {
      for (CompletableFuture<Void> f : futures) {
        if (error == null) {
          f.complete(null);
        } else {
          f.completeExceptionally(error);
        }
      }
    };
    try {
      completions.execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }

  synchronized void closed(FileOutbox outbox) {
    if (open.remove(outbox.key(), outbox)) {
      keys.remove(outbox.key());
    }
  }

  /** Closes every open outbox (writing what is pending), then stops the threads. Idempotent. */
  @Override
  public void close() {
    List<FileOutbox> closing;
    synchronized (this) {
      closed = true;
      closing = new ArrayList<>(open.values());
    }
    for (FileOutbox o : closing) {
      o.close();
    }
    flushers.shutdown();
    completions.shutdown();
    try {
      if (!flushers.awaitTermination(60, TimeUnit.SECONDS)
          || !completions.awaitTermination(60, TimeUnit.SECONDS)) {
        log.warn("outbox threads of {} did not stop within 60 s", root);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Makes creations, renames and deletions in {@code dir} durable. */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static ThreadPoolExecutor idlePool(int threads, String name) {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, threads == 1 ? name : name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
