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
      // Replicated before the crash, so the promoted replica must have it.
      assertEquals("1", cluster.command(owner, "WAIT", "1", "5000"));
      cluster.killPrimary(owner);
      Node promoted = cluster.awaitFailover(owner);
      assertNotEquals(owner, promoted);
      assertEquals(promoted, cluster.primaryOf("fixture-key"));
      assertEquals("v1", cluster.command(promoted, "GET", "fixture-key"));
      assertEquals(3, cluster.primaries().size(), "the replica replaced the dead primary");

      Node to = cluster.primaries().stream().filter(n -> !n.equals(promoted)).findFirst()
          .orElseThrow();
      int before = slots(cluster, to);
      int moving = slots(cluster, promoted);
      cluster.reshard(promoted, to, moving);
      assertEquals(before + moving, slots(cluster, to), "all of the promoted's slots moved");
      assertEquals(0, slots(cluster, promoted));
      assertEquals(to, cluster.primaryOf("fixture-key"));
      assertEquals("v1", cluster.command(to, "GET", "fixture-key"), "the key moved with them");
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
