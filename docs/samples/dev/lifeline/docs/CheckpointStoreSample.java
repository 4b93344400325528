package dev.lifeline.docs;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreCorruptedException;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.StoreLockedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Quoted by docs/store.md. */
public final class CheckpointStoreSample {
  private CheckpointStoreSample() {}

  // tag::open[]
  static FileCheckpointStore openStore(Path dataDir) throws StoreException {
    return FileCheckpointStore.builder(dataDir.resolve("sessions"))
        .ttl(Duration.ofHours(12))                 // sessions idle longer than this expire
        .sweepInterval(Duration.ofMinutes(5))      // remove them every 5 minutes
        .expiryListener(record -> deletePartialUpload(dataDir, record))
        .build();
  }
  // end::open[]

  // tag::commit[]
  /** Called once the file's bytes up to {@code offset} are durable (after FileChannel.force). */
  static void checkpointReached(CheckpointStore store, String sessionId, long sequence,
      long offset) {
    byte[] state = ByteBuffer.allocate(Long.BYTES).putLong(offset).array();
    store.commit(sessionId, Checkpoint.of(sequence, state))
        .thenRun(() -> acknowledgeToPeer(sequence)); // only after the fsync covering it
  }
  // end::commit[]

  // tag::errors[]
  static FileCheckpointStore openOrExplain(Path dir) {
    try {
      return FileCheckpointStore.open(dir);
    } catch (StoreLockedException e) {
      throw new IllegalStateException("another server uses " + e.directory(), e);
    } catch (StoreCorruptedException e) {
      throw new IllegalStateException("restore " + e.file() + " from a backup", e);
    } catch (StoreException e) {
      throw new IllegalStateException(e.getMessage(), e); // I/O error: permissions, disk
    }
  }
  // end::errors[]

  static void deletePartialUpload(Path dataDir, SessionRecord record) {
    try {
      Files.deleteIfExists(dataDir.resolve("files").resolve(record.id() + ".part"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void acknowledgeToPeer(long sequence) {
    // the session layer sends the acknowledgement frame here
  }
}
