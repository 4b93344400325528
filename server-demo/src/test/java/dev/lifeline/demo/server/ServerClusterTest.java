package dev.lifeline.demo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.demo.testing.ChildJvm;
import dev.lifeline.demo.testing.ServerProcess;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.store.redis.testing.AlternatingProxy;
import dev.lifeline.store.redis.testing.RedisCluster;
import dev.lifeline.store.redis.testing.RedisServer;
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
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --store redis://HOST:PORT} and {@code --store redis-cluster://HOST:PORT,...}: two
 * server-demo processes on one data directory and one real Redis (or a real Redis Cluster of
 * three primaries and three replicas on free loopback ports), behind a proxy that alternates
 * between them, carry an upload across cuts; and a Redis that is unreachable or not durable stops
 * the server with one clear line.
 */
class ServerClusterTest {
  @TempDir Path dir;

  @Test
  @Timeout(180)
  void twoServersOnOneDataDirectoryShareAnUploadAcrossCuts() throws Exception {
    try (RedisServer redis = RedisServer.start(dir.resolve("redis"))) {
      twoServersShareAnUploadAcrossCuts(redis.uri(), "cluster.bin", 7, 3);
    }
  }

  /** The same with {@code --store redis-cluster://...}: three primaries, three replicas. */
  @Test
  @Timeout(240)
  void twoServersOnARedisClusterShareAnUploadAcrossCuts() throws Exception {
    try (RedisCluster cluster = RedisCluster.start(dir.resolve("cluster"), 3, 1)) {
      twoServersShareAnUploadAcrossCuts(cluster.uri(), "on-a-cluster.bin", 23, 23);
    }
  }

  private void twoServersShareAnUploadAcrossCuts(String store, String name, int dataSeed,
      long chaosSeed) throws Exception {
    Path data = dir.resolve("data");
    try (ServerProcess first = ServerProcess.start(data, 0, dir.resolve("a.log"),
            "--store", store);
        // Started after the first: it reuses the development CA the first one created.
        ServerProcess second = ServerProcess.start(data, 0, dir.resolve("b.log"),
            "--store", store);
        AlternatingProxy proxy = AlternatingProxy.start(first.port(), second.port())) {
      byte[] bytes = new byte[6 << 20];
      new Random(dataSeed).nextBytes(bytes);
      Path src = Files.write(dir.resolve("src.bin"), bytes);
      Chaos chaos = Chaos.of(ChaosSpec.parse("cut=512K..1536K,mode=rst,count=3"), chaosSeed);
      try (LifelineClient client = chaos.install(LifelineClient.builder())
          .server("localhost", proxy.port())
          .tls(ClientTlsConfig.builder().trustedCa(data.resolve("tls/ca.pem")).build())
          .store(InMemoryCheckpointStore.builder().build())
          .idleTimeout(Duration.ofSeconds(2))
          // The default 32 MiB: more than the server's 16 MiB between checkpoints.
          .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60))
          .build()) {
        TransferResult r = new FileTransferClient(client, "localhost:" + proxy.port())
            .upload(src, name, TransferListener.NONE);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertEquals(sha, r.sha256());
        assertEquals(sha, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest(Files.readAllBytes(data.resolve("files/" + name)))));
        assertEquals(3, r.reconnects(), r.toString());
        // The first handshake is full (it may be counted before the session exists); every
        // reconnect, whichever node it reaches, resumes from a ticket.
        assertTrue(r.tlsFull() <= 1 && r.tlsResumed() >= r.reconnects(),
            "tickets of one node resume on the other: " + r);
        assertTrue(proxy.accepted(0) >= 2 && proxy.accepted(1) >= 2, "both served");
      }
      assertFalse(Files.exists(data.resolve("sessions")), "no embedded store with Redis");
      assertEquals(143, first.stop(), first.log());
      assertEquals(143, second.stop(), second.log());
    }
  }

  @Test
  @Timeout(120)
  void unreachableOrNotDurableRedisIsOneClearLine() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    assertCannotStart("redis://127.0.0.1:" + closedPort,
        "cannot connect to Redis at 127.0.0.1:" + closedPort);
    try (RedisServer sloppy = RedisServer.start(dir.resolve("sloppy"), "--appendfsync",
        "everysec")) {
      assertCannotStart(sloppy.uri(), "runs with appendonly yes, appendfsync everysec "
          + "(expected: appendonly yes, appendfsync always");
    }
  }

  private void assertCannotStart(String store, String expected) throws Exception {
    Path err = dir.resolve("err-" + System.nanoTime());
    Process p = ChildJvm.command(ServerProcess.MAIN, List.of("--port", "0", "--data-dir",
            dir.resolve("data").toString(), "--store", store))
        .redirectError(err.toFile())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String text = ChildJvm.read(err);
    assertEquals(ServerMain.EXIT_CANNOT_START, p.exitValue(), text);
    assertTrue(text.contains("server-demo: cannot start: "), text);
    assertTrue(text.contains(expected), text);
    assertFalse(text.contains("\tat "), text);
  }
}
