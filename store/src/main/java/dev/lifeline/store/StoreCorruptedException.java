package dev.lifeline.store;

import java.nio.file.Path;

/**
 * A store file holds damaged data the store will not guess around: a journal record in the middle
 * of acknowledged data fails its checksum, or no snapshot can be trusted and the journal no longer
 * reaches back far enough to rebuild without it. The message names the file (and offset where
 * known); the store refuses to open rather than start empty. Restore the directory from a backup,
 * or move it aside to start afresh.
 */
public final class StoreCorruptedException extends StoreException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public StoreCorruptedException(Path file, String problem) {
    super("store file " + file + " is corrupt: " + problem);
    this.file = file;
  }

  public StoreCorruptedException(Path file, String problem, Throwable cause) {
    super("store file " + file + " is corrupt: " + problem, cause);
    this.file = file;
  }

  /** The damaged file. */
  public Path file() {
    return file;
  }
}
