package dev.lifeline.store;

/** The outbox rules against the in-memory store's outbox. */
class MemoryOutboxContractTest extends OutboxContract {
  private final InMemoryCheckpointStore store = new InMemoryCheckpointStore();

  @Override
  protected CheckpointStore openStore() {
    return store;
  }

  @Override
  protected boolean persistent() {
    return false;
  }
}
