package dev.lifeline.transfer;

/**
 * Progress of a tree transfer, for a progress bar and per-file reports. Called from the
 * transfer's threads; keep it quick.
 */
public interface TreeListener {

  /**
   * The set is known: {@code files} files of {@code bytes} bytes in all, of which {@code
   * skippedFiles} ({@code skippedBytes}) are already at the destination.
   */
  default void started(int files, long bytes, int skippedFiles, long skippedBytes) {}

  /** {@code filesDone} files and {@code bytesDone} bytes are done (durable, or skipped). */
  default void progress(int filesDone, long bytesDone) {}

  /** One file is finished, verified, skipped or failed. */
  default void fileFinished(FileOutcome outcome) {}

  /** The connection was lost and resumed; {@code reconnects} so far. */
  default void reconnected(long reconnects) {}

  /**
   * Something the user should know that does not fail the set: a symbolic link not followed, a
   * file that changed while it was sent and is sent again, a partial file started over.
   */
  default void notice(String message) {}

  TreeListener NONE = new TreeListener() {};
}
