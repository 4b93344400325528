package dev.lifeline.store.redis;

import dev.lifeline.store.redis.testing.RedisServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The same contract as the embedded store, against a real redis-server (AOF, fsync always). */
class RedisCheckpointStoreContractTest extends RedisStoreContract {
  @TempDir static Path redisDir;
  static RedisServer redis;

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
  protected String uri() {
    return redis.uri();
  }
}
