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
import java.util.concurrent.CountDownLatch;
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

  final AtomicLongArray progress = new AtomicLongArray(UPLOADS);
  final CountDownLatch underway = new CountDownLatch(1);
  final CountDownLatch resharded = new CountDownLatch(1);

  @Test
  @Timeout(180)
  void uploadsCompleteAndLoseNothingWhileSlotsMove() throws Exception {
    List<LifelineClient> clients = new ArrayList<>();
    PositionWatch watch = null;
    try (RedisCluster cluster = RedisCluster.start(dir.resolve("cluster"), 3, 1);
        ClusterServers nodes = ClusterServers.start(dir, "reshard-" + UUID.randomUUID() + ":",
            cluster)) {
      List<Path> sources = new ArrayList<>();
      List<CompletableFuture<TransferResult>> ups = new ArrayList<>();
      for (int i = 0; i < UPLOADS; i++) {
        LifelineClient client = nodes.client();
        clients.add(client);
        sources.add(nodes.randomFile("src-" + i + ".bin", SIZE, i));
        ups.add(startUpload(nodes, client, i, sources.get(i)));
      }
      long advanced;
      try {
        Awaitility.await("every upload past 3 MiB").atMost(Duration.ofSeconds(60))
            .until(() -> allPast(progress, 3 << 20));
        List<String> ids = nodes.a.store.ids().join();
        assertEquals(UPLOADS, ids.size(), "one session an upload: " + ids);
        Map<String, Long> before = positions(nodes, ids);
        watch = PositionWatch.start(nodes, before);

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
      List<String> problems = watch.stop();
      assertTrue(problems.isEmpty(), "stored checkpoints went backwards or a read failed: "
          + problems);
      assertTrue(advanced > 0, "checkpoints were committed while the slots moved");
    } finally {
      if (watch != null) {
        watch.close();
      }
      clients.forEach(LifelineClient::close);
    }
  }

  /**
   * Starts upload {@code i}, held past 3 MiB until slots are moving and past 6 MiB until the
   * reshard is over: the uploads run while the slots move, however fast either is here.
   */
  CompletableFuture<TransferResult> startUpload(ClusterServers nodes, LifelineClient client,
      int i, Path src) {
    FileTransferClient t = new FileTransferClient(client, "localhost:" + nodes.proxy.port());
    return inBackground(t, src, "up-" + i + ".bin", done -> {
      progress.set(i, done);
      if (done > 3 << 20) {
        awaitUninterruptibly(underway);
      }
      if (done > 6 << 20) {
        awaitUninterruptibly(resharded);
      }
    });
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
}
