package dev.lifeline.demo.common;

import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * Opens the checkpoint store a demo keeps its sessions in: the embedded, crash-safe file store.
 *
 * <pre>{@code
 * try (CheckpointStore store = DemoStores.open(dataDir.resolve("sessions"), Duration.ofHours(24))) {
 *   ...
 * }
 * }</pre>
 */
public final class DemoStores {
  private DemoStores() {}

  /**
   * Opens (creating if needed) the file store in {@code dir} with the store's default
   * compaction (a snapshot every 64 MiB of journal): right for a server, which opens its store
   * once. The directory is created readable by its owner only: a client's store holds resume
   * tokens, which are secrets.
   *
   * @throws StoreException naming the directory if it cannot be created, is locked by another
   *     process or is damaged
   */
  public static CheckpointStore open(Path dir, Duration ttl) throws StoreException {
    return FileCheckpointStore.builder(createPrivate(dir)).ttl(ttl).build();
  }

  /**
   * As {@link #open(Path, Duration)}, compacting after {@code snapshotAfterBytes} of journal.
   * For a store a short-lived process opens again and again (a command-line client): every open
   * replays the journal written since the last snapshot, so a small value keeps start-up flat
   * however many transfers ran before. A store with few or no live records compacts into a
   * small flat file, so compacting often costs little (docs/store.md).
   *
   * @throws StoreException naming the directory if it cannot be created, is locked by another
   *     process or is damaged
   */
  public static CheckpointStore open(Path dir, Duration ttl, long snapshotAfterBytes)
      throws StoreException {
    return FileCheckpointStore.builder(createPrivate(dir)).ttl(ttl)
        .snapshotAfterBytes(snapshotAfterBytes).build();
  }

  private static Path createPrivate(Path dir) throws StoreException {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException | UnsupportedOperationException e) {
      throw new StoreException("cannot create store directory " + dir + ": " + e, e);
    }
    return dir;
  }
}
