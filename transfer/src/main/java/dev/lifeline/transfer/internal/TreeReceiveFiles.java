package dev.lifeline.transfer.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The files a tree download writes. Each file goes into a hidden temporary sibling (never a name
 * a listing can hold: those never start with '.'), hashed while written. A complete, verified
 * file joins a batch; {@link #flush} makes the batch and the file in progress durable, renames
 * the batch into place, stamps modification times and syncs each parent directory once. Only
 * then may a checkpoint claim them, so a file appears under its name only complete and verified,
 * and a checkpoint never describes more than the disk holds.
 *
 * <p>Confined to the session's application thread.
 */
final class TreeReceiveFiles {
  /** Syncs of every tree download in the process; threads end when idle. */
  private static final ExecutorService SYNCS = new ThreadPoolExecutor(8, 8, 10, TimeUnit.SECONDS,
      new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "lifeline-tree-sync");
        t.setDaemon(true);
        return t;
      });

  static {
    ((ThreadPoolExecutor) SYNCS).allowCoreThreadTimeOut(true);
  }

  private final boolean fsync;
  private final List<Part> batch = new ArrayList<>();
  private Part current;
  private long sinceCheckpoint;
  private long lastCheckpointNanos = System.nanoTime();

  TreeReceiveFiles(boolean fsync) {
    this.fsync = fsync;
  }

  /** One file being written, or written and waiting in the batch. */
  static final class Part {
    final String name;
    final Path target;
    final Path temp;
    final long size;
    final long mtime;
    final byte[] sha;
    FileChannel file;
    MessageDigest digest;
    long written;
    // The answer and file number of the META it came with: its chunks carry the same.
    int request;
    int fileNo;

    Part(String name, Path target, long size, long mtime, byte[] sha) {
      this.name = name;
      this.target = target;
      this.temp = tempOf(target);
      this.size = size;
      this.mtime = mtime;
      this.sha = sha;
    }

    boolean complete() {
      return written == size;
    }
  }

  /**
   * The temporary sibling of {@code target}: {@code .NAME.lifeline-part}, or a hash of the name
   * when that would pass the 255-byte limit of a name.
   */
  static Path tempOf(Path target) {
    String n = target.getFileName().toString();
    String t = "." + n + ".lifeline-part";
    if (t.getBytes(StandardCharsets.UTF_8).length > FileNames.MAX_BYTES) {
      t = "." + Hashing.hex(Hashing.sha256().digest(n.getBytes(StandardCharsets.UTF_8)))
          .substring(0, 40) + ".lifeline-part";
    }
    return target.resolveSibling(t);
  }

  Part current() {
    return current;
  }

  /** Starts {@code p} from byte zero; the file in progress before is dropped (its part stays). */
  void start(Part p) throws IOException {
    abandon();
    Files.createDirectories(p.target.getParent());
    p.file = FileChannel.open(p.temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    p.file.truncate(0);
    p.digest = Hashing.sha256();
    current = p;
  }

  /**
   * Continues {@code p} after the {@code offset} bytes its temporary file should hold, if their
   * SHA-256 is {@code prefixSha}; else leaves nothing open and returns false.
   */
  boolean resume(Part p, long offset, byte[] prefixSha) throws IOException {
    abandon();
    if (!Files.isRegularFile(p.temp)) {
      return false;
    }
    FileChannel f = FileChannel.open(p.temp, StandardOpenOption.WRITE, StandardOpenOption.READ);
    MessageDigest d = f.size() >= offset ? Hashing.prefix(f, offset) : null;
    if (d == null || !MessageDigest.isEqual(Hashing.peek(d), prefixSha)) {
      f.close();
      return false;
    }
    f.truncate(offset);
    p.file = f;
    p.digest = d;
    p.written = offset;
    current = p;
    return true;
  }

  /**
   * Drops the file in progress. Its temporary file stays until the file is asked for again and
   * started over (cut to zero), or the set ends without it.
   */
  void abandon() throws IOException {
    if (current != null) {
      current.file.close();
      current = null;
    }
  }

  /** Drops the file in progress and deletes its temporary file. */
  void discardCurrent() throws IOException {
    Part p = current;
    abandon();
    if (p != null) {
      Files.deleteIfExists(p.temp);
    }
  }

  /** Writes and hashes the bytes of {@code chunk} at {@code offset} that follow what is held. */
  void append(Pieces chunk, long offset, long length) throws IOException {
    Part p = current;
    chunk.skip(p.written - offset);
    chunk.writeAt(p.file, p.written);
    chunk.hash(p.digest);
    long added = offset + length - p.written;
    sinceCheckpoint += added;
    p.written = offset + length;
  }

  /**
   * The file in progress is complete: true and it joins the batch if its SHA-256 is the
   * server's, else false and its temporary file is deleted. Nothing is in progress after.
   */
  boolean finishCurrent() throws IOException {
    Part p = current;
    current = null;
    if (!MessageDigest.isEqual(p.digest.digest(), p.sha)) {
      p.file.close();
      Files.deleteIfExists(p.temp);
      return false;
    }
    batch.add(p);
    return true;
  }

  /** Whether a checkpoint is due: 16 MiB, or ~200 files, or a second since the last one. */
  boolean due(long bytes, int files, long nanos) {
    return sinceCheckpoint >= bytes || batch.size() >= files
        || (holdsUncheckpointed() && System.nanoTime() - lastCheckpointNanos >= nanos);
  }

  boolean holdsUncheckpointed() {
    return sinceCheckpoint > 0 || !batch.isEmpty();
  }

  /**
   * Makes the batch and the file in progress durable and renames the batch into place; returns
   * the files now in place. The caller then commits a checkpoint with {@link #state}.
   */
  List<Part> flush() throws IOException {
    List<Part> moved = new ArrayList<>(batch);
    batch.clear();
    for (Part p : moved) {
      // Stamped before the sync so the time is as durable as the bytes; a rename keeps it.
      Files.setLastModifiedTime(p.temp, FileTime.fromMillis(p.mtime));
    }
    if (fsync) {
      syncAll(moved);
    }
    for (Part p : moved) {
      p.file.close();
    }
    Set<Path> dirs = new LinkedHashSet<>();
    for (Part p : moved) {
      Files.move(p.temp, p.target, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      dirs.add(p.target.getParent());
    }
    if (fsync) {
      for (Path d : dirs) {
        syncDirectory(d);
      }
    }
    sinceCheckpoint = 0;
    lastCheckpointNanos = System.nanoTime();
    return moved;
  }

  /**
   * Syncs the batch and the file in progress, several at once: file systems with a journal
   * commit concurrent syncs together, so 200 small files cost a few journal commits instead of
   * 200 one after the other (1,000 files of 64 KiB: 13.6 s with one sync at a time here).
   */
  private void syncAll(List<Part> moved) throws IOException {
    List<FileChannel> channels = new ArrayList<>();
    for (Part p : moved) {
      channels.add(p.file);
    }
    if (current != null) {
      channels.add(current.file);
    }
    List<Future<?>> running = new ArrayList<>();
    for (FileChannel c : channels) {
      running.add(SYNCS.submit(() -> {
        c.force(true);
        return null;
      }));
    }
    IOException failure = null;
    for (Future<?> f : running) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while syncing", e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** The checkpoint state of what {@link #flush} made durable. */
  TreeDownloadState state() {
    Part p = current;
    if (p == null) {
      return TreeDownloadState.NONE;
    }
    return new TreeDownloadState(p.name, p.size, p.mtime, p.written, Hashing.peek(p.digest),
        p.sha, p.request, p.fileNo);
  }

  /** Closes what is open, after a failure; nothing is renamed. */
  void closeQuietly() {
    try {
      abandon();
    } catch (IOException ignored) {
      // nothing more is done with it
    }
    for (Part p : batch) {
      try {
        p.file.close();
      } catch (IOException ignored) {
        // as above
      }
    }
    batch.clear();
  }

  static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // not every file system lets a directory be synced; the renames are atomic regardless
    }
  }
}
