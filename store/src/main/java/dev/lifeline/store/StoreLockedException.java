package dev.lifeline.store;

import java.nio.file.Path;

/**
 * Another process (or another open store in this process) holds the store directory. Two writers
 * on one journal would corrupt it, so the second open fails instead.
 */
public final class StoreLockedException extends StoreException {
  private static final long serialVersionUID = 1L;

  private final transient Path directory;

  public StoreLockedException(Path directory) {
    super("store " + directory + " is locked by another process");
    this.directory = directory;
  }

  /** The store directory. */
  public Path directory() {
    return directory;
  }
}
