package dev.lifeline.store.redis;

import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.CheckpointStoreContract;
import dev.lifeline.store.ExpiryListener;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

/**
 * The store contract against a real Redis, one primary or a cluster: each subclass starts its
 * Redis and names it by {@link #uri()}. Every test gets its own key prefix; within a test every
 * open sees the same data.
 */
abstract class RedisStoreContract extends CheckpointStoreContract {
  protected final String prefix = "contract-" + UUID.randomUUID() + ":";

  /** Where the Redis the subclass started answers. */
  protected abstract String uri();

  @Override
  protected CheckpointStore open(Clock clock, Duration ttl, ExpiryListener listener)
      throws Exception {
    return RedisCheckpointStore.builder(uri())
        .keyPrefix(prefix)
        .clock(clock)
        .ttl(ttl)
        .expiryListener(listener)
        .build();
  }

  @Override
  protected boolean persistent() {
    return true;
  }
}
