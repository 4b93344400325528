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
   * Opens (creating if needed) the file store in {@code dir}. The directory is created readable
   * by its owner only: a client's store holds resume tokens, which are secrets.
   *
   * @throws StoreException naming the directory if it cannot be created, is locked by another
   *     process or is damaged
   */
  public static CheckpointStore open(Path dir, Duration ttl) throws StoreException {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException | UnsupportedOperationException e) {
      throw new StoreException("cannot create store directory " + dir + ": " + e, e);
    }
    return FileCheckpointStore.builder(dir).ttl(ttl).build();
  }
}
