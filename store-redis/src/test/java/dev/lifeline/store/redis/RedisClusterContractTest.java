package dev.lifeline.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.redis.testing.RedisCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store contract against a real local Redis Cluster (three primaries, three replicas, AOF and
 * fsync always on every node), plus what only a cluster shows: the sessions spread over every
 * primary and are all listed, and a single-node URI at a cluster node is refused.
 */
class RedisClusterContractTest extends RedisStoreContract {
  @TempDir static Path clusterDir;
  static RedisCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = RedisCluster.start(clusterDir, 3, 1);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Override
  protected String uri() {
    return cluster.uri();
  }

  @Test
  void sessionsSpreadOverEveryPrimaryAndAreAllListed() throws Exception {
    CheckpointStore store = store();
    Set<String> ids = new HashSet<>();
    List<CompletableFuture<Void>> puts = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String id = "spread-" + i;
      ids.add(id);
      puts.add(store.put(record(id)));
    }
    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();

    int total = 0;
    for (RedisCluster.Node primary : cluster.primaries()) {
      String keys = cluster.command(primary, "KEYS", prefix + "*:s:*");
      int held = keys.isEmpty() ? 0 : keys.split("\n").length;
      // 256 shards over 3 primaries: a primary with none would mean the hash tags collapsed.
      assertTrue(held >= 30, primary + " holds " + held + " of 300 session records");
      total += held;
    }
    assertEquals(300, total, "one record key per session, on the primaries");
    assertEquals(ids, new HashSet<>(store.ids().join()), "ids() visits every shard");
  }

  @Test
  void singleNodeUriAtAClusterNodeIsRefused() throws Exception {
    RedisCluster.Node node = cluster.primaries().get(0);
    StoreException e = assertThrows(StoreException.class,
        () -> RedisCheckpointStore.builder("redis://" + node.address()).keyPrefix(prefix).build()
            .close());
    assertTrue(e.getMessage().toLowerCase(Locale.ROOT).contains("cluster"), e.getMessage());
  }
}
