package dev.lifeline.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The outbox rules against the file store's outbox, reopened from its files. */
class FileOutboxContractTest extends OutboxContract {
  @TempDir Path dir;

  @Override
  protected CheckpointStore openStore() throws StoreException {
    return FileCheckpointStore.open(dir);
  }

  @Override
  protected boolean persistent() {
    return true;
  }
}
