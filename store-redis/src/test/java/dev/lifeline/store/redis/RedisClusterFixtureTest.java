package dev.lifeline.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.redis.testing.RedisCluster;
import dev.lifeline.store.redis.testing.RedisCluster.Node;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster fixture itself, so a failing cluster test points at the store and not at the
 * fixture: it starts a settled 3 + 3 cluster, a killed primary's replica takes over with what was
 * replicated, and a reshard moves slots and their keys.
 */
class RedisClusterFixtureTest {
  @TempDir Path dir;

  @Test
  @Timeout(90)
  void startsFailsOverAndReshards() throws Exception {
    try (RedisCluster cluster = RedisCluster.start(dir, 3, 1, Duration.ofMillis(2000))) {
      List<Node> primaries = cluster.primaries();
      assertEquals(3, primaries.size(), "three primaries");
      assertTrue(cluster.uri().startsWith("redis-cluster://127.0.0.1:"), cluster.uri());
      assertEquals(3, cluster.uri().split(",").length, cluster.uri());
      assertEquals(16384, primaries.stream().mapToInt(n -> slots(cluster, n)).sum());

      Node owner = cluster.primaryOf("fixture-key");
      assertEquals("OK", cluster.command(owner, "SET", "fixture-key", "v1"));
      assertEquals(List.of(owner), ClusterFailoverTest.primariesHolding(cluster, "fixture-*"));
      // Replicated before the crash, so the promoted replica must have it.
      cluster.awaitReplicated(owner);
      cluster.killPrimary(owner);
      Node promoted = cluster.awaitFailover(owner);
      assertNotEquals(owner, promoted);
      assertEquals(promoted, cluster.primaryOf("fixture-key"));
      assertEquals("v1", cluster.command(promoted, "GET", "fixture-key"));
      assertEquals(3, cluster.primaries().size(), "the replica replaced the dead primary");

      Node to = cluster.primaries().stream().filter(n -> !n.equals(promoted)).findFirst()
          .orElseThrow();
      int before = slots(cluster, to);
      int had = slots(cluster, promoted);
      // A few hundred slots show it; all 5461 take redis-cli about 10 s on this machine.
      cluster.reshard(promoted, to, 300);
      assertEquals(before + 300, slots(cluster, to), "300 slots moved");
      assertEquals(had - 300, slots(cluster, promoted));
      assertEquals("v1", cluster.command(cluster.primaryOf("fixture-key"), "GET", "fixture-key"),
          "the key is where the slot table says");
    }
  }

  private static int slots(RedisCluster cluster, Node n) {
    try {
      return cluster.slotsOf(n);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
