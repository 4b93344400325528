package dev.lifeline.store.internal;

import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.internal.StoreDirectory.SequencedFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Chooses a snapshot's format and reads either kind. Records whose flat encoding fits in {@code
 * flatMaxBytes} go to a {@link FlatSnapshotFile}, larger sets to a MapDB {@link SnapshotFile}.
 * Only this class refers to {@link SnapshotFile}, and only for {@code .db} files, so a store whose
 * snapshots are flat never loads MapDB (nor the Kotlin and Eclipse Collections classes it drags
 * in) — the bulk of what opening a store used to cost a short-lived JVM.
 */
final class Snapshots {
  /** Default for {@code flatMaxBytes}: flat up to 1 MiB of records. */
  static final long DEFAULT_FLAT_MAX_BYTES = 1L << 20;

  private Snapshots() {}

  /** Writes the snapshot as of {@code lastSequence} in the format its size calls for. */
  static Path write(StoreDirectory dir, long lastSequence, Map<String, SessionRecord> records,
      long flatMaxBytes) throws IOException {
    if (FlatSnapshotFile.bodyLength(records.values()) <= flatMaxBytes) {
      return FlatSnapshotFile.write(dir, lastSequence, records);
    }
    return SnapshotFile.write(dir, lastSequence, records);
  }

  /**
   * Reads and verifies the snapshot {@code file}.
   *
   * @throws dev.lifeline.store.StoreCorruptedException naming it if it cannot be trusted
   */
  static SnapshotContents read(SequencedFile file) throws IOException {
    return file.isFlat()
        ? FlatSnapshotFile.read(file.path(), file.sequence())
        : SnapshotFile.read(file.path(), file.sequence());
  }
}
