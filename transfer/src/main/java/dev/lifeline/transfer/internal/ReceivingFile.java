package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.transfer.TransferException.Reason;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file a receiver writes, and the cycle both receivers run on it: the client's {@link
 * Download} and the server's {@link UploadReceiver} differ in their messages and answers, not in
 * this.
 *
 * <ol>
 *   <li>{@link #append} writes a chunk's new bytes at their offset and feeds them to the running
 *       SHA-256 (no sync);
 *   <li>when {@link #checkpointDue} (every N bytes or T nanoseconds), the receiver takes a {@link
 *       #checkpointState} and hands its commit to {@link #syncThen}, which runs it only once the
 *       written bytes are durable ({@code fsync} on another thread while later chunks are
 *       written; one at a time);
 *   <li>after a rewind, {@link #hashPrefix} reads the durable prefix back so the receiver can
 *       check it against its checkpoint, and {@link #cutTo} / {@link #resumeAt} continue there;
 *   <li>when the whole file arrived and verified, {@link #moveTo} forces, closes and renames it
 *       and {@link #settle} stamps its time and syncs its directory.
 * </ol>
 *
 * <p>Before the file is truncated, closed or renamed the running sync is awaited, so a checkpoint
 * taken before a rewind is never committed after it. Without fsync (a download's {@code
 * --no-fsync}) the same checkpoints are committed as soon as their bytes are written.
 *
 * <p>Confined to the receiver's one ordered thread, except {@link #written} (read by progress
 * reports and requests on other threads) and the commit that {@link #syncThen} runs on the sync
 * thread.
 */
final class ReceivingFile {
  private static final Logger log = LoggerFactory.getLogger(ReceivingFile.class);
  private final long checkpointBytes;
  private final long checkpointNanos;
  private final boolean fsync;
  private final BackgroundSync sync = new BackgroundSync();

  private Path path;
  private FileChannel file;
  // Counts opens and closes, so a sync's late failure can tell whether its file is still the one.
  private long generation;
  private MessageDigest digest;
  private volatile long written;
  private long sinceCheckpoint;
  private long lastCheckpointNanos;
  private long lastChunkSeq; // sequence of the last chunk appended

  /**
   * @param checkpointBytes a checkpoint is due after this many new bytes
   * @param checkpointNanos ... or this long after the last one
   * @param fsync whether bytes are made durable before their checkpoint and before the rename
   */
  ReceivingFile(long checkpointBytes, long checkpointNanos, boolean fsync) {
    this.checkpointBytes = checkpointBytes;
    this.checkpointNanos = checkpointNanos;
    this.fsync = fsync;
  }

  /**
   * Opens (creating it if needed) the file to write at {@code path}, closing the one before
   * (quietly: nothing more is done with it).
   */
  void open(Path path) throws IOException {
    closeQuietly();
    file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    this.path = path;
    generation++;
  }

  /**
   * Opens a complete file read-only, for an upload that turned out to be stored already: what
   * arrives is hashed against it, never written.
   */
  void openToVerify(Path path) throws IOException {
    closeQuietly();
    file = FileChannel.open(path, StandardOpenOption.READ);
    this.path = path;
    generation++;
  }

  boolean isOpen() {
    return file != null;
  }

  /** Identifies the open file: it changes with every open and close. */
  long generation() {
    return generation;
  }

  /** The file's current length on disk. */
  long length() throws IOException {
    return file.size();
  }

  /** A digest of the file's first {@code length} bytes, read back from disk. */
  MessageDigest hashPrefix(long length) throws IOException {
    return Hashing.prefix(file, length);
  }

  /** Cuts the file to {@code length} bytes, once the running sync is over. */
  void cutTo(long length) throws IOException {
    sync.await();
    file.truncate(length);
  }

  /**
   * Continues after {@code offset} bytes whose digest is {@code prefix}; the next checkpoint
   * claims only what arrives from here.
   */
  void resumeAt(long offset, MessageDigest prefix, long seq) {
    digest = prefix;
    written = offset;
    sinceCheckpoint = 0;
    lastChunkSeq = seq;
  }

  /**
   * Starts the file over from byte zero (what it held is not the file any more). The interval
   * runs on: the next checkpoint comes when it would have, at offset zero if nothing arrived.
   */
  void startOver() throws IOException {
    cutTo(0);
    digest = Hashing.sha256();
    written = 0;
  }

  /** How many bytes are written (and hashed); any thread. */
  long written() {
    return written;
  }

  /** The SHA-256 of what is written so far. */
  byte[] sha() {
    return Hashing.peek(digest);
  }

  long lastChunkSeq() {
    return lastChunkSeq;
  }

  /**
   * Takes the bytes of a chunk at {@code offset} that follow what is written ({@code offset <=
   * written < offset + length}): writes them unless {@code write} is false (verifying a stored
   * file), and hashes them. Nothing is counted if the write fails.
   */
  void append(long seq, Pieces chunk, long offset, long length, boolean write)
      throws IOException {
    chunk.skip(written - offset);
    if (write) {
      chunk.writeAt(file, written);
    }
    chunk.hash(digest);
    sinceCheckpoint += offset + length - written;
    lastChunkSeq = seq;
    written = offset + length;
  }

  /** Whether a chunk should start a checkpoint now: enough bytes or time, and no sync running. */
  boolean checkpointDue() {
    return (sinceCheckpoint >= checkpointBytes
        || System.nanoTime() - lastCheckpointNanos >= checkpointNanos) && sync.idle();
  }

  /** Whether bytes were written that no checkpoint claims yet. */
  boolean holdsUncheckpointed() {
    return sinceCheckpoint != 0;
  }

  /**
   * Whether a timer should checkpoint now, no chunk having come to do it: the interval is over
   * and no sync runs.
   */
  boolean intervalOver() {
    return System.nanoTime() - lastCheckpointNanos >= checkpointNanos && sync.idle();
  }

  /**
   * The state of a checkpoint at what is written so far (durable once {@link #syncThen} runs its
   * commit); restarts the interval.
   */
  byte[] checkpointState(String name, long size, long mtime, byte[] fileSha, boolean done) {
    sinceCheckpoint = 0;
    lastCheckpointNanos = System.nanoTime();
    return new TransferState(name, size, mtime, written, sha(), fileSha, done).encode();
  }

  /**
   * Makes what was written durable on another thread while later chunks are written, then runs
   * {@code commit} (never before that fsync returned); {@code failed} gets the error instead.
   * Without fsync, commits at once. Call only when {@link #checkpointDue} (no sync running).
   */
  void syncThen(Runnable commit, Consumer<IOException> failed) {
    if (!fsync) {
      commit.run();
      return;
    }
    sync.start(file, commit, failed);
  }

  /** Makes what was written durable now, on this thread (without fsync: nothing to do). */
  void syncNow() throws IOException {
    if (fsync) {
      file.force(false);
    }
  }

  /** Waits for the sync in progress, if one runs. */
  void awaitSync() {
    sync.await();
  }

  /** Makes the complete file durable, closes it and renames it to {@code target}. */
  void moveTo(Path target, CopyOption... options) throws IOException {
    if (fsync) {
      file.force(true);
    }
    close();
    Files.move(path, target, options);
  }

  /** Gives a file just moved into place its modification time, and makes the rename durable. */
  void settle(Path target, long mtimeMillis) throws IOException {
    Files.setLastModifiedTime(target, FileTime.fromMillis(mtimeMillis));
    if (fsync) {
      syncDirectory(target.getParent());
    }
  }

  /** Closes the file after the running sync. */
  void close() throws IOException {
    sync.await();
    if (file != null) {
      file.close();
      file = null;
      generation++;
    }
  }

  /** Closes the file after the running sync, ignoring an error: nothing more is done with it. */
  void closeQuietly() {
    try {
      close();
    } catch (IOException ignored) {
      file = null;
      generation++;
    }
  }

  /**
   * Commits a checkpoint whose bytes are durable; any thread. A stream rewound meanwhile (while
   * the file was synced or renamed) makes the session refuse the position: the checkpoint is then
   * obsolete, and the rewind's callback, which follows, decides what to commit.
   *
   * @return the store's write, or null if the session refused the position
   */
  static CompletableFuture<Void> commit(Session session, long seq, byte[] state) {
    try {
      return session.checkpoint(seq, state);
    } catch (IllegalArgumentException e) {
      log.debug("session {}: checkpoint at {} dropped, the stream was rewound: {}", session.id(),
          seq, e.getMessage());
      return null;
    }
  }

  /** Why a write or sync failed, as the transfer reports it. */
  static Reason reasonOf(IOException e) {
    return isDiskFull(e) ? Reason.DISK_FULL : Reason.IO_ERROR;
  }

  static boolean isDiskFull(IOException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("No space left") || m.contains("Disk quota");
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // not every file system lets a directory be synced; the rename itself is atomic
    }
  }
}
