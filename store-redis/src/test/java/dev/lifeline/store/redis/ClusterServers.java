package dev.lifeline.store.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.store.redis.testing.AlternatingProxy;
import dev.lifeline.store.redis.testing.RedisCluster;
import dev.lifeline.transfer.FileTransferServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

/**
 * Two server nodes, each with its own store on one Redis Cluster (keys under one prefix), sharing
 * a files directory and the TLS ticket keys from the store, behind an {@link AlternatingProxy}:
 * what {@link MultiNodeTest} runs on one Redis, for the cluster tests. Every store waits for one
 * replica to confirm each write, so a failover loses nothing acknowledged.
 */
final class ClusterServers implements AutoCloseable {
  final Path dir;
  final String prefix;
  final Node a;
  final Node b;
  final AlternatingProxy proxy;

  /** One server node: its own store connection to the cluster and its own server. */
  static final class Node implements AutoCloseable {
    final RedisCheckpointStore store;
    final LifelineServer server;

    Node(RedisCluster cluster, String name, Path dir, String prefix) throws IOException {
      store = RedisCheckpointStore.builder(cluster.uri())
          .keyPrefix(prefix)
          .nodeId(name)
          .ttl(Duration.ofHours(1))
          .timeout(Duration.ofSeconds(5))
          .retryFor(Duration.ofSeconds(30))
          .waitForReplicas(1, Duration.ofSeconds(2))
          .build();
      FileTransferServer files = FileTransferServer.builder(dir.resolve("files"))
          .checkpointEvery(256 << 10, Duration.ofMillis(100))
          .build();
      server = LifelineServer.builder()
          .tls(ServerTlsConfig.builder()
              .developmentCertificates(dir.resolve("tls"))
              .ticketKeyStore(store.ticketKeyStore())
              .build())
          .store(store)
          .handler(files.handler())
          .onSessionExpired(files::sessionExpired)
          .idleTimeout(Duration.ofSeconds(2))
          .sweepInterval(Duration.ofSeconds(1))
          .start();
      assertTrue(server.tlsProvider().startsWith("OpenSSL"),
          "tickets are shared through the ring only with the OpenSSL provider: "
              + server.tlsProvider());
    }

    @Override
    public void close() {
      server.close();
      store.close();
    }
  }

  private ClusterServers(Path dir, String prefix, Node a, Node b, AlternatingProxy proxy) {
    this.dir = dir;
    this.prefix = prefix;
    this.a = a;
    this.b = b;
    this.proxy = proxy;
  }

  /** Starts both nodes and the proxy; what started is closed again if a later step fails. */
  static ClusterServers start(Path dir, String prefix, RedisCluster cluster) throws IOException {
    Node a = new Node(cluster, "node-a", dir, prefix);
    Node b = null;
    try {
      b = new Node(cluster, "node-b", dir, prefix);
      return new ClusterServers(dir, prefix, a, b,
          AlternatingProxy.start(a.server.port(), b.server.port()));
    } catch (IOException | RuntimeException e) {
      if (b != null) {
        b.close();
      }
      a.close();
      throw e;
    }
  }

  /** A client through the proxy with a 4 MiB replay buffer, reconnecting for up to a minute. */
  LifelineClient client() throws IOException {
    return LifelineClient.builder()
        .server("localhost", proxy.port())
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build())
        .store(InMemoryCheckpointStore.builder().build())
        .idleTimeout(Duration.ofSeconds(2))
        .replayBufferBytes(4 << 20)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60))
        .build();
  }

  /** The stored checkpoint position of session {@code id}, or -1 once it is gone. */
  long storedPosition(String id) {
    return a.store.load(id).join().map(r -> r.checkpoint().position()).orElse(-1L);
  }

  Path randomFile(String name, int bytes, long seed) throws IOException {
    byte[] data = new byte[bytes];
    new Random(seed).nextBytes(data);
    Path p = dir.resolve(name);
    Files.write(p, data);
    return p;
  }

  @Override
  public void close() {
    proxy.close();
    b.close();
    a.close();
  }
}
