package dev.lifeline.store.internal;

import dev.lifeline.store.StoreException;
import dev.lifeline.store.StoreLockedException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of one store directory: their names, listing them, the lock, and making renames and
 * creations durable.
 *
 * <pre>
 *   dir/lock                                   held with FileChannel.tryLock while open
 *   dir/journal-00000000000000000001.log       journal segment, named by its first sequence
 *   dir/snapshot-00000000000000004711.db       MapDB snapshot of every record up to sequence 4711
 *   dir/snapshot-00000000000000004711.flat     or a flat snapshot of them (small stores)
 *   dir/*.tmp                                  unfinished snapshot, removed on open
 *   dir/snapshot-*.damaged                     a snapshot that failed verification, kept for study
 * </pre>
 */
public final class StoreDirectory implements AutoCloseable {
  private static final Pattern SEGMENT = Pattern.compile("journal-(\\d{20})\\.log");
  private static final Pattern SNAPSHOT = Pattern.compile("snapshot-(\\d{20})\\.(db|flat)");
  private static final String FLAT_SUFFIX = ".flat";

  /** A file named by a sequence number. */
  public record SequencedFile(long sequence, Path path) {
    /** For a snapshot: whether it is a flat snapshot rather than a MapDB file. */
    public boolean isFlat() {
      return path.getFileName().toString().endsWith(FLAT_SUFFIX);
    }
  }

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private StoreDirectory(Path dir, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Creates the directory if needed and locks it. */
  public static StoreDirectory lock(Path dir) throws StoreException {
    Path abs = dir.toAbsolutePath();
    FileChannel channel = null;
    try {
      Files.createDirectories(abs);
      channel = FileChannel.open(abs.resolve("lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw new StoreLockedException(abs);
      }
      return new StoreDirectory(abs, channel, lock);
    } catch (OverlappingFileLockException e) {
      closeQuietly(channel);
      throw new StoreLockedException(abs);
    } catch (StoreLockedException e) {
      closeQuietly(channel);
      throw e;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StoreException("cannot open store " + abs + ": " + e, e);
    }
  }

  public Path path() {
    return dir;
  }

  public Path segmentPath(long firstSequence) {
    return dir.resolve(String.format("journal-%020d.log", firstSequence));
  }

  public Path snapshotPath(long lastSequence) {
    return dir.resolve(String.format("snapshot-%020d.db", lastSequence));
  }

  public Path flatSnapshotPath(long lastSequence) {
    return dir.resolve(String.format("snapshot-%020d" + FLAT_SUFFIX, lastSequence));
  }

  /** Journal segments, oldest first. */
  public List<SequencedFile> segments() throws IOException {
    List<SequencedFile> files = list(SEGMENT);
    files.sort(Comparator.comparingLong(SequencedFile::sequence));
    return files;
  }

  /** Snapshots of both kinds, newest first (of two with one sequence, the flat one first). */
  public List<SequencedFile> snapshots() throws IOException {
    List<SequencedFile> files = list(SNAPSHOT);
    files.sort(Comparator.comparingLong(SequencedFile::sequence).reversed()
        .thenComparing(f -> !f.isFlat()));
    return files;
  }

  /** Removes what an interrupted snapshot left behind. */
  public void deleteTemporaryFiles() throws IOException {
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.tmp")) {
      for (Path p : stream) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Makes creations, renames and deletions in the directory durable. */
  public void syncDirectory() throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private List<SequencedFile> list(Pattern pattern) throws IOException {
    List<SequencedFile> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) {
        Matcher m = pattern.matcher(p.getFileName().toString());
        if (m.matches()) {
          files.add(new SequencedFile(Long.parseLong(m.group(1)), p));
        }
      }
    }
    return files;
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel releases it too
    }
    closeQuietly(lockChannel);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing more to release
      }
    }
  }
}
