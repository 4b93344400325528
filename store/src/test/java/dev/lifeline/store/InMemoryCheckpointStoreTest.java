package dev.lifeline.store;

import java.time.Clock;
import java.time.Duration;

class InMemoryCheckpointStoreTest extends CheckpointStoreContract {

  @Override
  protected CheckpointStore open(Clock clock, Duration ttl, ExpiryListener listener) {
    return InMemoryCheckpointStore.builder().clock(clock).ttl(ttl).expiryListener(listener).build();
  }

  @Override
  protected boolean persistent() {
    return false;
  }
}
