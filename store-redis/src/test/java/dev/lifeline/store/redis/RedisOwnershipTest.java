package dev.lifeline.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.SessionTakenException;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.redis.testing.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fencing between two nodes, Redis going away and coming back, and the start-up checks. */
class RedisOwnershipTest {
  @TempDir Path dir;
  RedisServer redis;
  RedisCheckpointStore a;
  RedisCheckpointStore b;

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start(dir.resolve("redis"));
    a = node("a");
    b = node("b");
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    redis.close();
  }

  RedisCheckpointStore node(String name) throws StoreException {
    return RedisCheckpointStore.builder(redis.uri()).nodeId(name)
        .timeout(Duration.ofSeconds(5)).retryFor(Duration.ofMillis(500)).build();
  }

  static SessionRecord record(String id) {
    return SessionRecord.builder(id).secret(new byte[] {1}).lastActiveMillis(
        System.currentTimeMillis()).build();
  }

  static Throwable failure(CompletableFuture<?> f) {
    return assertThrows(CompletionException.class, f::join).getCause();
  }

  @Test
  void aNodeThatLostASessionNeverWritesItAgain() {
    a.put(record("s")).join();
    a.commit("s", Checkpoint.of(5, new byte[] {5})).join();

    SessionRecord loaded = b.load("s").join().orElseThrow();
    b.claim(loaded).join(); // the client resumed on node b

    Throwable e = failure(a.commit("s", Checkpoint.of(9, new byte[] {9})));
    assertInstanceOf(SessionTakenException.class, e);
    assertTrue(e.getMessage().contains("node b"), e.getMessage());
    assertInstanceOf(SessionTakenException.class, failure(a.put(loaded)));
    assertInstanceOf(SessionTakenException.class, failure(a.delete("s")));
    assertEquals(5, b.load("s").join().orElseThrow().checkpoint().position(),
        "node a's refused commit left no trace");

    b.commit("s", Checkpoint.of(7, new byte[] {7})).join();
    b.put(b.load("s").join().orElseThrow().withSecret(new byte[] {2}, System.currentTimeMillis())).join();
    assertEquals(7, a.load("s").join().orElseThrow().checkpoint().position());

    a.claim(a.load("s").join().orElseThrow()).join(); // the client came back to node a
    assertInstanceOf(SessionTakenException.class,
        failure(b.commit("s", Checkpoint.of(8, new byte[0]))));
    a.commit("s", Checkpoint.of(8, new byte[] {8})).join();
    a.delete("s").join();
    assertTrue(b.load("s").join().isEmpty());
  }

  @Test
  void unreachableRedisFailsClearlyAndTheStoreRecoversWhenItReturns() throws Exception {
    a.put(record("s")).join();
    redis.kill();
    Throwable e = failure(a.commit("s", Checkpoint.of(1, new byte[0])));
    assertInstanceOf(StoreException.class, e);
    assertTrue(e.getMessage().startsWith("Redis at 127.0.0.1:" + redis.port()), e.getMessage());
    redis.start();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
        .until(() -> a.commit("s", Checkpoint.of(2, new byte[0])).join() == null);
    assertEquals(2, b.load("s").join().orElseThrow().checkpoint().position(),
        "the record written before the SIGKILL is back from the AOF");
  }

  @Test
  void refusesARedisThatWouldLoseAcknowledgedWrites() throws Exception {
    try (RedisServer sloppy = RedisServer.start(dir.resolve("sloppy"), "--appendonly", "no")) {
      StoreException e = assertThrows(StoreException.class,
          () -> RedisCheckpointStore.builder(sloppy.uri()).build());
      assertTrue(e.getMessage().contains("appendonly no"), e.getMessage());
    }
    try (RedisServer evicting = RedisServer.start(dir.resolve("evicting"),
        "--maxmemory-policy", "volatile-lru")) {
      StoreException e = assertThrows(StoreException.class,
          () -> RedisCheckpointStore.builder(evicting.uri()).build());
      assertTrue(e.getMessage().contains("maxmemory-policy volatile-lru"), e.getMessage());
    }
  }
}
