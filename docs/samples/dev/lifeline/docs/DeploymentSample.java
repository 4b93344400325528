package dev.lifeline.docs;

import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionMovedException;
import dev.lifeline.store.redis.RedisCheckpointStore;
import dev.lifeline.transfer.FileTransferServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

/** Quoted by docs/deployment.md. */
public final class DeploymentSample {
  private DeploymentSample() {}

  // tag::node[]
  /** One node of several: same Redis, same files directory, same certificate on every node. */
  static LifelineServer startNode(String redisUri, Path shared, Path chain, Path key)
      throws IOException {
    RedisCheckpointStore store = RedisCheckpointStore.builder(redisUri)
        .ttl(Duration.ofHours(24))        // every node must use the same time to live
        .build();                         // refuses a Redis without appendfsync always
    FileTransferServer files = FileTransferServer.builder(shared.resolve("files")).build();
    return LifelineServer.builder()
        .host("0.0.0.0")
        .port(7443)
        .tls(ServerTlsConfig.builder()
            .certificate(chain, key)
            .ticketKeyStore(store.ticketKeyStore())  // one ticket key ring for all nodes
            .build())
        .store(store)
        .handler(files.handler())
        .onSessionExpired(files::sessionExpired)
        .start();
  }
  // end::node[]

  // tag::replicas[]
  /** With replicas and Sentinel failover: acknowledge only what one replica also holds. */
  static RedisCheckpointStore withReplicas(String redisUri) throws IOException {
    return RedisCheckpointStore.builder(redisUri)
        .waitForReplicas(1, Duration.ofMillis(500))
        .build();
  }
  // end::replicas[]

  // tag::cluster[]
  /**
   * On a Redis Cluster: the seed nodes are only where the store first asks for the topology; it
   * then follows the cluster's own map of slots. Wait for one replica of the shard that took each
   * write, so a failover of that shard's primary loses no acknowledged checkpoint.
   */
  static RedisCheckpointStore clusterNode() throws IOException {
    return RedisCheckpointStore
        .builder("redis-cluster://10.0.0.5:7001,10.0.0.6:7001,10.0.0.7:7001")
        .ttl(Duration.ofHours(24))                   // the same on every node, as with one Redis
        .waitForReplicas(1, Duration.ofMillis(500))  // WAIT on the primary that ran the write
        .build();                                    // checks appendfsync always on every node
  }
  // end::cluster[]

  // tag::moved[]
  static final SessionHandler HANDLER = new SessionHandler() {
    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) {
      // write the message somewhere every node can read
    }

    @Override
    public void onClosed(Session session, Throwable cause) {
      if (cause instanceof SessionMovedException) {
        return; // the client resumed on another node: leave its data alone
      }
      // the session is over: clean up what it left
    }
  };
  // end::moved[]
}
