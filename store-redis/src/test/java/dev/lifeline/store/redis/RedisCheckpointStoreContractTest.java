package dev.lifeline.store.redis;

import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.CheckpointStoreContract;
import dev.lifeline.store.ExpiryListener;
import dev.lifeline.store.redis.testing.RedisServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The same contract as the embedded store, against a real redis-server (AOF, fsync always). */
class RedisCheckpointStoreContractTest extends CheckpointStoreContract {
  @TempDir static Path redisDir;
  static RedisServer redis;

  /** Every test gets its own keys; within a test every open sees the same data. */
  private final String prefix = "contract-" + UUID.randomUUID() + ":";

  @BeforeAll
  static void startRedis() throws Exception {
    redis = RedisServer.start(redisDir);
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) {
      redis.close();
    }
  }

  @Override
  protected CheckpointStore open(Clock clock, Duration ttl, ExpiryListener listener)
      throws Exception {
    return RedisCheckpointStore.builder(redis.uri())
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
