package dev.lifeline.transfer.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file a tree-upload receiver has in hand: its partial file under {@code
 * .partial/SESSION.tree/} (named by the SHA-256 of its tree name, so a 4 KiB name still gives a
 * short one), the SHA-256 of what arrived, and how much did. A file that exists in place already
 * is only hashed ({@link #verifyOnly}). Confined to the session thread, except {@link #written}.
 */
final class TreeStoreFile {
  private static final Logger log = LoggerFactory.getLogger(TreeStoreFile.class);

  private final Path dir;
  private Path path; // null when verifying or between files
  private FileChannel channel;
  private MessageDigest digest = Hashing.sha256();
  private volatile long written;

  TreeStoreFile(Path dir) {
    this.dir = dir;
  }

  /** The directory of this session's partial files. */
  Path dir() {
    return dir;
  }

  /** The partial file being written, or null. */
  Path path() {
    return path;
  }

  long written() {
    return written;
  }

  /** Starts hashing from byte zero without writing (the file exists in place). */
  void verifyOnly() {
    closeQuietly();
    path = null;
    digest = Hashing.sha256();
    written = 0;
  }

  /** Opens the partial file of {@code name} at byte zero, emptied when {@code fresh}. */
  void open(String name, boolean fresh) throws IOException {
    closeQuietly();
    Files.createDirectories(dir);
    path = dir.resolve(Hashing.hex(Hashing.sha256().digest(TreeUploadMessages.utf8(name))));
    channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    if (fresh) {
      channel.truncate(0);
    }
    digest = Hashing.sha256();
    written = 0;
  }

  /**
   * Continues after the first {@code offset} bytes of {@code file} (the partial file, or the
   * stored one when verifying) if their SHA-256 is {@code sha}; the partial file is cut there.
   */
  boolean continueAt(Path file, long offset, byte[] sha) throws IOException {
    try (FileChannel f = FileChannel.open(file, StandardOpenOption.READ)) {
      if (f.size() < offset) {
        return false;
      }
      MessageDigest d = Hashing.prefix(f, offset);
      if (!MessageDigest.isEqual(Hashing.peek(d), sha)) {
        return false;
      }
      if (channel != null) {
        channel.truncate(offset);
      }
      digest = d;
      written = offset;
      return true;
    }
  }

  /** Takes the bytes of a chunk at {@code offset} that follow what is held. */
  void append(Pieces chunk, long offset, long length, boolean write) throws IOException {
    chunk.skip(written - offset);
    if (write) {
      chunk.writeAt(channel, written);
    }
    chunk.hash(digest);
    written = offset + length;
  }

  byte[] peekSha() {
    return Hashing.peek(digest);
  }

  /** The SHA-256 of everything that arrived; the file is complete. */
  byte[] finishSha() {
    return digest.digest();
  }

  /**
   * Moves the complete partial file to {@code target}, never replacing a file there: a hard link
   * fails if the name exists, where a rename would replace it.
   *
   * @return false if {@code target} exists (the partial file is dropped)
   */
  boolean moveTo(Path target) throws IOException {
    closeQuietly();
    try {
      Files.createLink(target, path);
      Files.delete(path);
    } catch (FileAlreadyExistsException e) {
      delete();
      return false;
    } catch (UnsupportedOperationException e) {
      Files.move(path, target); // no hard links here: checks the name, then renames
    }
    path = null;
    return true;
  }

  void closeQuietly() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing more is done with it
      }
      channel = null;
    }
  }

  /** Closes and removes the partial file. */
  void delete() {
    closeQuietly();
    if (path != null) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        log.debug("could not remove {}: {}", path, e.toString());
      }
      path = null;
    }
  }

  /** Removes every partial file of the session, and their directory. */
  void deleteAll() {
    delete();
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      log.warn("could not remove {}: {}", dir, e.toString());
    }
  }
}
