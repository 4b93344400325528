package dev.lifeline.store.redis;

import static dev.lifeline.store.redis.MultiNodeTest.awaitUninterruptibly;
import static dev.lifeline.store.redis.MultiNodeTest.inBackground;
import static dev.lifeline.store.redis.MultiNodeTest.sha;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.store.redis.testing.RedisCluster;
import dev.lifeline.store.redis.testing.RedisCluster.Node;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.TransferResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads through two server nodes while the cluster primary holding their session is killed
 * (SIGKILL) and a replica takes over: they complete intact, and the checkpoint the store had
 * acknowledged before the crash is still there after the promotion. Three primaries with two
 * replicas each, so the promoted replica still has one to WAIT for.
 */
class ClusterFailoverTest {
  @TempDir static Path clusterDir;
  static RedisCluster cluster;

  @TempDir Path dir;
  /** The primary a test killed; started again after it, as a replica, for the next test. */
  Node dead;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = RedisCluster.start(clusterDir, 3, 2, Duration.ofMillis(2000));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void restartDeadPrimary() throws Exception {
    if (dead != null) {
      cluster.restart(dead);
    }
  }

  @Test
  @Timeout(120)
  void uploadMovesToTheOtherNodeWhileItsShardPrimaryFailsOver() throws Exception {
    try (ClusterServers nodes = ClusterServers.start(dir, "failover-" + UUID.randomUUID() + ":",
            cluster);
        LifelineClient client = nodes.client()) {
      Path src = nodes.randomFile("src.bin", 16 << 20, 16);
      AtomicLong progress = new AtomicLong();
      CountDownLatch killed = new CountDownLatch(1);
      CountDownLatch recoveryChecked = new CountDownLatch(1);
      FileTransferClient t = new FileTransferClient(client, "localhost:" + nodes.proxy.port());
      // Held past 6 MiB until the primary is dead, so the crash lands mid-transfer; held again
      // past 14 MiB until the record was read back after the promotion (a finished upload
      // deletes it).
      CompletableFuture<TransferResult> up = inBackground(t, src, "failover.bin", done -> {
        progress.set(done);
        if (done > 6 << 20) {
          awaitUninterruptibly(killed);
        }
        if (done > 14 << 20) {
          awaitUninterruptibly(recoveryChecked);
        }
      });
      String id;
      long acked;
      long recovered;
      boolean stillRunning;
      try {
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> progress.get() > 6 << 20);
        id = nodes.a.store.ids().join().get(0);
        Crash crash = prepareCrash(nodes, id);
        acked = crash.acked();
        kill(crash);
        killed.countDown();
        stillRunning = !up.isDone();
        nodes.proxy.resetAll(); // to the other node, which reads the session from the cluster
        assertNotEquals(dead, cluster.awaitFailover(dead));
        recovered = Awaitility.await("the session readable after the promotion")
            .atMost(Duration.ofSeconds(30)).ignoreExceptions()
            .until(() -> nodes.b.store.load(id).join().orElseThrow().checkpoint().position(),
                p -> true);
      } finally {
        killed.countDown(); // a failed step must not leave the upload held
        recoveryChecked.countDown();
      }
      assertTrue(recovered >= acked, "the acknowledged checkpoint " + acked
          + " survived the SIGKILL of its primary " + dead + " (found " + recovered + ")");
      TransferResult r = up.get(120, TimeUnit.SECONDS);
      assertEquals(sha(src), r.sha256());
      assertEquals(sha(src), sha(dir.resolve("files/failover.bin")));
      assertTrue(stillRunning, "the upload was still running at the crash: " + r);
      assertTrue(r.reconnects() >= 1, "the client reconnected: " + r);
      assertTrue(nodes.proxy.accepted(1) >= 1, "node b served the upload after the move");
    }
  }

  @Test
  @Timeout(120)
  void commitsInFlightAtTheCrashAreRetriedOnThePromotedReplica() throws Exception {
    try (ClusterServers nodes = ClusterServers.start(dir, "inflight-" + UUID.randomUUID() + ":",
            cluster);
        LifelineClient client = nodes.client()) {
      Path src = nodes.randomFile("src.bin", 16 << 20, 17);
      AtomicLong progress = new AtomicLong();
      CountDownLatch go = new CountDownLatch(1);
      FileTransferClient t = new FileTransferClient(client, "localhost:" + nodes.proxy.port());
      // Held past 6 MiB, then let go just before the kill: the node keeps committing
      // checkpoints on the same connection while their primary is dead and then promoted.
      CompletableFuture<TransferResult> up = inBackground(t, src, "inflight.bin", done -> {
        progress.set(done);
        if (done > 6 << 20) {
          awaitUninterruptibly(go);
        }
      });
      PositionWatch watch = null;
      String id;
      long acked;
      try {
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> progress.get() > 6 << 20);
        id = nodes.a.store.ids().join().get(0);
        Crash crash = prepareCrash(nodes, id);
        acked = crash.acked();
        watch = PositionWatch.start(nodes, Map.of(id, acked));
        go.countDown();
        kill(crash);
        assertTrue(!up.isDone(), "the upload was still running at the crash");
        assertNotEquals(dead, cluster.awaitFailover(dead));
        TransferResult r = up.get(120, TimeUnit.SECONDS);
        assertEquals(sha(src), r.sha256());
        assertEquals(sha(src), sha(dir.resolve("files/inflight.bin")));
        List<String> problems = watch.stop();
        assertTrue(problems.isEmpty(), "stored checkpoints went backwards or a read failed: "
            + problems);
      } finally {
        go.countDown();
        if (watch != null) {
          watch.close();
        }
      }
    }
  }

  /**
   * Finds the primary holding session {@code id}'s record while the upload is held, checks the
   * store WAITed there, and waits until a checkpoint is stored and the replicas caught up: the
   * position then stored is acknowledged, since no commit is running.
   */
  Crash prepareCrash(ClusterServers nodes, String id) throws Exception {
    Node owner = primaryHolding(cluster, nodes.prefix + "*:s:" + id);
    Awaitility.await("a checkpoint stored before the crash")
        .atMost(Duration.ofSeconds(30)).until(() -> nodes.storedPosition(id), p -> p > 0);
    // That the store did WAIT, on the primary that ran its writes, Redis counts.
    assertTrue(waitCalls(owner) > 0, "the store sent WAIT to " + owner);
    cluster.awaitReplicated(owner);
    return new Crash(owner, nodes.storedPosition(id));
  }

  /** The primary to kill and the checkpoint position it holds, acknowledged. */
  record Crash(Node owner, long acked) {}

  /** Kills the primary, as a crash of its machine; the next test gets it back as a replica. */
  void kill(Crash crash) throws Exception {
    dead = crash.owner();
    cluster.killPrimary(crash.owner());
  }

  /** How many WAIT commands {@code n} ran, from {@code INFO commandstats}. */
  static long waitCalls(Node n) throws Exception {
    return cluster.command(n, "INFO", "commandstats").lines()
        .filter(l -> l.startsWith("cmdstat_wait:calls="))
        .mapToLong(l -> Long.parseLong(l.substring(19, l.indexOf(','))))
        .findFirst().orElse(0);
  }

  /** The primary holding the one key matching {@code pattern}, found by asking each primary. */
  static Node primaryHolding(RedisCluster cluster, String pattern) throws Exception {
    List<Node> holders = primariesHolding(cluster, pattern);
    assertEquals(1, holders.size(), "one primary holds " + pattern + ": " + holders);
    return holders.get(0);
  }

  /** The primaries holding a key that matches {@code pattern}. */
  static List<Node> primariesHolding(RedisCluster cluster, String pattern) throws Exception {
    List<Node> holders = new ArrayList<>();
    for (Node p : cluster.primaries()) {
      if (!cluster.command(p, "KEYS", pattern).isEmpty()) {
        holders.add(p);
      }
    }
    return holders;
  }
}
