package dev.lifeline.store.redis;

import static dev.lifeline.store.redis.ClusterFailoverTest.primaryHolding;
import static dev.lifeline.store.redis.MultiNodeTest.awaitUninterruptibly;
import static dev.lifeline.store.redis.MultiNodeTest.inBackground;
import static dev.lifeline.store.redis.MultiNodeTest.sha;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four uploads through two server nodes while {@code redis-cli --cluster reshard} moves every
 * slot of one primary (a third of the cluster, the shard of one of the sessions among them) to
 * another: checkpoints are committed into slots being migrated, every upload completes intact and
 * no session's stored checkpoint ever goes backwards.
 */
class ClusterReshardTest {
  static final int UPLOADS = 4;
  static final int SIZE = 8 << 20;

  @TempDir Path dir;

  @Test
  @Timeout(180)
  void uploadsCompleteAndLoseNothingWhileSlotsMove() throws Exception {
    List<LifelineClient> clients = new ArrayList<>();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    try (RedisCluster cluster = RedisCluster.start(dir.resolve("cluster"), 3, 1);
        ClusterServers nodes = ClusterServers.start(dir, "reshard-" + UUID.randomUUID() + ":",
            cluster)) {
      AtomicLongArray progress = new AtomicLongArray(UPLOADS);
      CountDownLatch underway = new CountDownLatch(1);
      CountDownLatch resharded = new CountDownLatch(1);
      List<Path> sources = new ArrayList<>();
      List<CompletableFuture<TransferResult>> ups = new ArrayList<>();
      for (int i = 0; i < UPLOADS; i++) {
        int n = i;
        LifelineClient client = nodes.client();
        clients.add(client);
        sources.add(nodes.randomFile("src-" + i + ".bin", SIZE, i));
        FileTransferClient t = new FileTransferClient(client, "localhost:" + nodes.proxy.port());
        // Held past 3 MiB until slots are moving and past 6 MiB until the reshard is over:
        // the uploads run while the slots move, however fast either is on this machine.
        ups.add(inBackground(t, sources.get(i), "up-" + i + ".bin", done -> {
          progress.set(n, done);
          if (done > 3 << 20) {
            awaitUninterruptibly(underway);
          }
          if (done > 6 << 20) {
            awaitUninterruptibly(resharded);
          }
        }));
      }
      Map<String, Long> highest = new ConcurrentHashMap<>();
      List<String> regressions = new CopyOnWriteArrayList<>();
      long advanced;
      try {
        Awaitility.await("every upload past 3 MiB").atMost(Duration.ofSeconds(60))
            .until(() -> allPast(progress, 3 << 20));
        List<String> ids = nodes.a.store.ids().join();
        assertEquals(UPLOADS, ids.size(), "one session an upload: " + ids);
        Map<String, Long> before = positions(nodes, ids);
        // Every stored position, every 50 ms: none may be below one seen before.
        sampler.scheduleAtFixedRate(() -> sample(nodes, ids, highest, regressions),
            0, 50, TimeUnit.MILLISECONDS);

        Node from = primaryHolding(cluster, nodes.prefix + "*:s:" + ids.get(0));
        Node to = cluster.primaries().stream().filter(p -> !p.equals(from)).findFirst()
            .orElseThrow();
        int toBefore = cluster.slotsOf(to);
        int moving = cluster.slotsOf(from);
        CompletableFuture<Void> reshard = CompletableFuture.runAsync(() -> {
          try {
            cluster.reshard(from, to, moving);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        Awaitility.await("the first slots moved").atMost(Duration.ofSeconds(60))
            .until(() -> reshard.isDone() || cluster.slotsOf(to) > toBefore);
        underway.countDown();
        reshard.get(120, TimeUnit.SECONDS);
        Map<String, Long> after = positions(nodes, ids);
        advanced = ids.stream().filter(id -> after.get(id) > before.get(id)).count();
        assertEquals(toBefore + moving, cluster.slotsOf(to), "every slot of " + from + " moved");
        assertEquals(to, primaryHolding(cluster, nodes.prefix + "*:s:" + ids.get(0)),
            "the first session's record moved with its slot");
      } finally {
        underway.countDown(); // a failed step must not leave the uploads held
        resharded.countDown();
      }
      for (int i = 0; i < UPLOADS; i++) {
        TransferResult r = ups.get(i).get(120, TimeUnit.SECONDS);
        assertEquals(sha(sources.get(i)), r.sha256(), "upload " + i);
        assertEquals(sha(sources.get(i)), sha(dir.resolve("files/up-" + i + ".bin")));
      }
      sampler.shutdown();
      assertTrue(sampler.awaitTermination(10, TimeUnit.SECONDS));
      assertTrue(regressions.isEmpty(), "stored checkpoints went backwards: " + regressions);
      assertTrue(advanced > 0, "checkpoints were committed while the slots moved");
    } finally {
      sampler.shutdownNow();
      clients.forEach(LifelineClient::close);
    }
  }

  static boolean allPast(AtomicLongArray progress, long bytes) {
    for (int i = 0; i < progress.length(); i++) {
      if (progress.get(i) <= bytes) {
        return false;
      }
    }
    return true;
  }

  static Map<String, Long> positions(ClusterServers nodes, List<String> ids) {
    Map<String, Long> out = new ConcurrentHashMap<>();
    for (String id : ids) {
      out.put(id, nodes.storedPosition(id));
    }
    return out;
  }

  /** Records a stored position below the highest seen for its session; -1 (deleted) is not. */
  static void sample(ClusterServers nodes, List<String> ids, Map<String, Long> highest,
      List<String> regressions) {
    for (String id : ids) {
      try {
        long p = nodes.storedPosition(id);
        long seen = highest.merge(id, p, Math::max);
        if (p >= 0 && p < seen) {
          regressions.add(id + ": " + p + " after " + seen);
        }
      } catch (RuntimeException e) {
        regressions.add(id + ": load failed: " + e);
      }
    }
  }
}
