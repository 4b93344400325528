package dev.lifeline.demo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.demo.testing.ServerProcess;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.store.redis.testing.AlternatingProxy;
import dev.lifeline.store.redis.testing.RedisCluster;
import dev.lifeline.testing.Chaos;
import dev.lifeline.testing.ChaosSpec;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --store redis-cluster://...}: two server-demo processes on one data directory and a real
 * Redis Cluster (three primaries, three replicas, on free loopback ports), behind a proxy that
 * alternates between them, carry an upload across cuts, as {@link ServerClusterTest} does with
 * one Redis. The command deployment.md shows, with the seed list the fixture gives.
 */
class ServerRedisClusterTest {
  @TempDir Path dir;

  @Test
  @Timeout(240)
  void twoServersOnOneClusterShareAnUploadAcrossCuts() throws Exception {
    Path data = dir.resolve("data");
    try (RedisCluster cluster = RedisCluster.start(dir.resolve("cluster"), 3, 1);
        ServerProcess first = ServerProcess.start(data, 0, dir.resolve("a.log"),
            "--store", cluster.uri());
        // Started after the first: it reuses the development CA the first one created.
        ServerProcess second = ServerProcess.start(data, 0, dir.resolve("b.log"),
            "--store", cluster.uri());
        AlternatingProxy proxy = AlternatingProxy.start(first.port(), second.port())) {
      byte[] bytes = new byte[6 << 20];
      new Random(23).nextBytes(bytes);
      Path src = Files.write(dir.resolve("src.bin"), bytes);
      Chaos chaos = Chaos.of(ChaosSpec.parse("cut=512K..1536K,mode=rst,count=3"), 23);
      try (LifelineClient client = chaos.install(LifelineClient.builder())
          .server("localhost", proxy.port())
          .tls(ClientTlsConfig.builder().trustedCa(data.resolve("tls/ca.pem")).build())
          .store(InMemoryCheckpointStore.builder().build())
          .idleTimeout(Duration.ofSeconds(2))
          .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60))
          .build()) {
        TransferResult r = new FileTransferClient(client, "localhost:" + proxy.port())
            .upload(src, "on-a-cluster.bin", TransferListener.NONE);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertEquals(sha, r.sha256());
        assertEquals(sha, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest(Files.readAllBytes(data.resolve("files/on-a-cluster.bin")))));
        assertEquals(3, r.reconnects(), r.toString());
        // Every reconnect, whichever node it reaches, resumes the session from the cluster and
        // the TLS session from a ticket whose key the cluster shares.
        assertTrue(r.tlsFull() <= 1 && r.tlsResumed() >= r.reconnects(),
            "tickets of one node resume on the other: " + r);
        assertTrue(proxy.accepted(0) >= 2 && proxy.accepted(1) >= 2, "both served");
      }
      assertFalse(Files.exists(data.resolve("sessions")), "no embedded store with Redis");
      assertEquals(143, first.stop(), first.log());
      assertEquals(143, second.stop(), second.log());
    }
  }
}
