package dev.lifeline.store;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;

class FileCheckpointStoreContractTest extends CheckpointStoreContract {
  @TempDir Path dir;

  @Override
  protected CheckpointStore open(Clock clock, Duration ttl, ExpiryListener listener)
      throws StoreException {
    return FileCheckpointStore.builder(dir).clock(clock).ttl(ttl).expiryListener(listener)
        .snapshotAfterBytes(64 * 1024) // snapshots and segment deletion happen inside the tests
        .build();
  }

  @Override
  protected boolean persistent() {
    return true;
  }
}
