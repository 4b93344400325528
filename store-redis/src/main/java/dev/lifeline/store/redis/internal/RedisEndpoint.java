package dev.lifeline.store.redis.internal;

import dev.lifeline.store.StoreException;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ConnectionIntent;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link RedisLink} talks to: one Redis primary, or a Redis Cluster. Reads go wherever
 * Lettuce routes them (on a cluster it follows {@code MOVED} and {@code ASK} itself); a write runs
 * on the primary that owns its key's slot, through that node's own connection, so that the {@code
 * WAIT} after it asks the very node that ran it.
 */
abstract sealed class RedisEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisEndpoint.class);

  /** One Redis node, primary or replica, and the connection commands to it go through. */
  record Node(String address, RedisAsyncCommands<byte[], byte[]> commands) {}

  /** A write was not sent: no primary is known for the slot, or its connection is not there. */
  static final class NotSent extends RuntimeException {
    NotSent(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /** "Redis at HOST:PORT" or "Redis Cluster at HOST:PORT,...", for messages. */
  abstract String name();

  /** "HOST:PORT" or the seed list. */
  abstract String server();

  /** Where reads go. */
  abstract RedisClusterAsyncCommands<byte[], byte[]> reads();

  /** The primary owning {@code key}; fails with {@link NotSent} when none is known now. */
  abstract CompletionStage<Node> primaryFor(byte[] key);

  /** Every node known now, replicas too (any may be promoted): the start-up check visits all. */
  abstract List<CompletableFuture<Node>> allNodes();

  /** A command met a moved slot or a lost node: look at the topology again (rate-limited). */
  void topologyChanged() {}

  @Override
  public abstract void close();

  /** Closing is best effort: a failure here must not hide why the store is being closed. */
  static void closeQuietly(StatefulConnection<?, ?> connection, AbstractRedisClient client) {
    try {
      connection.close();
    } catch (RuntimeException e) {
      log.debug("closing a Redis connection", e);
    }
    try {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    } catch (RuntimeException e) {
      log.debug("shutting down a Redis client", e);
    }
  }

  static RedisEndpoint connect(String uri, Duration timeout, Duration retryFor,
      ClientResources resources) throws StoreException {
    return ClusterUri.isCluster(uri)
        ? Cluster.connect(ClusterUri.parse(uri), timeout, retryFor, resources)
        : Single.connect(uri, timeout, retryFor, resources);
  }

  /**
   * Checks the form of a URI before anything connects.
   *
   * @throws IllegalArgumentException naming the expected forms (never echoing the URI, which
   *     may hold a password)
   */
  static void checkForm(String uri) {
    if (ClusterUri.isCluster(uri)) {
      ClusterUri.parse(uri);
    } else {
      Single.parse(uri);
    }
  }

  /** Connects, trying again within {@code retryFor} while the handshake only times out. */
  static <C> C connectRetrying(String name, Duration retryFor, Supplier<C> connect,
      Runnable shutdown) throws StoreException {
    long deadline = System.nanoTime() + retryFor.toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        return connect.get();
      } catch (RuntimeException e) {
        // A refused connection fails at once; a slow handshake (an overloaded Redis or host)
        // is tried again within retryFor.
        boolean slow = RedisLink.hasCause(e, RedisCommandTimeoutException.class);
        if (!slow || System.nanoTime() > deadline) {
          shutdown.run();
          String why = RedisLink.rootMessage(e);
          throw new StoreException("cannot connect to " + name + ": " + why
              + (why.contains("cluster support disabled")
                  ? " (a single Redis primary: use redis://HOST:PORT)" : ""), e);
        }
        log.info("connecting to {} timed out (attempt {}), trying again", name, attempt);
      }
    }
  }

  /** One primary: every command on one connection. */
  static final class Single extends RedisEndpoint {
    private static final String FORMS = "redis://[[USER]:PASSWORD@]HOST:PORT[/DB], "
        + "rediss://... or " + ClusterUri.FORM;
    private final String server;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final Node node;

    private Single(String server, RedisClient client,
        StatefulRedisConnection<byte[], byte[]> connection) {
      this.server = server;
      this.client = client;
      this.connection = connection;
      this.node = new Node(server, connection.async());
    }

    static Single connect(String uri, Duration timeout, Duration retryFor,
        ClientResources resources) throws StoreException {
      RedisURI redisUri = parse(uri);
      redisUri.setTimeout(timeout);
      String server = redisUri.getHost() + ":" + redisUri.getPort();
      RedisClient client = RedisClient.create(resources, redisUri);
      client.setOptions(ClientOptions.builder()
          .autoReconnect(true)
          // A command for a disconnected Redis fails at once (and is retried by the link,
          // knowing it was never sent) instead of waiting for a reconnect that may never come.
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled(timeout))
          .build());
      StatefulRedisConnection<byte[], byte[]> connection = connectRetrying("Redis at " + server,
          retryFor, () -> client.connect(ByteArrayCodec.INSTANCE),
          () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(2)));
      Single single = new Single(server, client, connection);
      single.refuseClusterNode();
      return single;
    }

    static RedisURI parse(String uri) {
      if (!uri.startsWith("redis://") && !uri.startsWith("rediss://")) {
        throw new IllegalArgumentException("Redis URI: unknown scheme (expected: " + FORMS + ")");
      }
      try {
        // Lettuce's own parser takes "HOST:junk" as HOST on the default port; java.net.URI
        // finds no host in it.
        if (java.net.URI.create(uri).getHost() == null) {
          throw new IllegalArgumentException("no HOST[:PORT]");
        }
        return RedisURI.create(uri);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("Redis URI is not valid (expected: " + FORMS + ")",
            e);
      }
    }

    /**
     * A cluster node takes the single-primary layout's scripts only for keys it owns, so a
     * {@code redis://} URI naming one would fail later, on some sessions only: refuse it now.
     */
    private void refuseClusterNode() throws StoreException {
      String info;
      try {
        info = new String(connection.sync().info("cluster").getBytes(), java.nio.charset
            .StandardCharsets.UTF_8);
      } catch (RuntimeException e) {
        return; // INFO refused by an ACL: the scripts will fail loudly if this is a cluster
      }
      if (info.contains("cluster_enabled:1")) {
        close();
        throw new StoreException("Redis at " + server + " is a Redis Cluster node (expected: "
            + "a single primary for redis://); for a cluster use redis-cluster://" + server
            + "[,HOST:PORT...] with its nodes as seeds");
      }
    }

    @Override
    String name() {
      return "Redis at " + server;
    }

    @Override
    String server() {
      return server;
    }

    @Override
    RedisClusterAsyncCommands<byte[], byte[]> reads() {
      return node.commands();
    }

    @Override
    CompletionStage<Node> primaryFor(byte[] key) {
      return CompletableFuture.completedFuture(node);
    }

    @Override
    List<CompletableFuture<Node>> allNodes() {
      return List.of(CompletableFuture.completedFuture(node));
    }

    @Override
    public void close() {
      closeQuietly(connection, client);
    }
  }

  /**
   * A Redis Cluster: Lettuce's cluster client keeps the slot map (refreshed periodically and
   * whenever a command meets a moved slot or a lost node); writes go to the slot owner's own
   * connection.
   */
  static final class Cluster extends RedisEndpoint {
    private static final long REFRESH_GAP_NANOS = Duration.ofMillis(200).toNanos();
    private final String seeds;
    private final RedisClusterClient client;
    private final StatefulRedisClusterConnection<byte[], byte[]> connection;
    private final AtomicLong lastRefresh = new AtomicLong(System.nanoTime());

    private Cluster(String seeds, RedisClusterClient client,
        StatefulRedisClusterConnection<byte[], byte[]> connection) {
      this.seeds = seeds;
      this.client = client;
      this.connection = connection;
    }

    static Cluster connect(ClusterUri uri, Duration timeout, Duration retryFor,
        ClientResources resources) throws StoreException {
      uri.seeds().forEach(seed -> seed.setTimeout(timeout));
      RedisClusterClient client = RedisClusterClient.create(resources, uri.seeds());
      client.setOptions(ClusterClientOptions.builder()
          .autoReconnect(true)
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled(timeout))
          .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
              .enablePeriodicRefresh(Duration.ofSeconds(10))
              .enableAllAdaptiveRefreshTriggers()
              .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500))
              .refreshTriggersReconnectAttempts(2)
              .build())
          .build());
      String name = "Redis Cluster at " + uri.hosts();
      StatefulRedisClusterConnection<byte[], byte[]> connection = connectRetrying(name,
          retryFor, () -> client.connect(ByteArrayCodec.INSTANCE),
          () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(2)));
      return new Cluster(uri.hosts(), client, connection);
    }

    @Override
    String name() {
      return "Redis Cluster at " + seeds;
    }

    @Override
    String server() {
      return seeds;
    }

    @Override
    RedisClusterAsyncCommands<byte[], byte[]> reads() {
      return connection.async();
    }

    @Override
    CompletionStage<Node> primaryFor(byte[] key) {
      int slot = SlotHash.getSlot(key);
      RedisClusterNode owner = connection.getPartitions().getPartitionBySlot(slot);
      if (owner == null) {
        return CompletableFuture.failedFuture(new NotSent("no primary of hash slot " + slot
            + " is known (the cluster is failing over or resharding)", null));
      }
      return node(owner, ConnectionIntent.WRITE);
    }

    @Override
    List<CompletableFuture<Node>> allNodes() {
      List<CompletableFuture<Node>> each = new ArrayList<>();
      for (RedisClusterNode n : connection.getPartitions()) {
        boolean primary = n.getRole().isUpstream();
        each.add(node(n, primary ? ConnectionIntent.WRITE : ConnectionIntent.READ));
      }
      return each;
    }

    private CompletableFuture<Node> node(RedisClusterNode n, ConnectionIntent intent) {
      String address = n.getUri().getHost() + ":" + n.getUri().getPort();
      return connection.getConnectionAsync(n.getNodeId(), intent)
          .handle((c, e) -> {
            if (e != null) {
              throw new CompletionException(new NotSent("no connection to Redis node "
                  + address + ": " + RedisLink.rootMessage(RedisLink.unwrap(e)), e));
            }
            return new Node(address, c.async());
          });
    }

    @Override
    void topologyChanged() {
      long last = lastRefresh.get();
      long now = System.nanoTime();
      if (now - last < REFRESH_GAP_NANOS || !lastRefresh.compareAndSet(last, now)) {
        return;
      }
      client.refreshPartitionsAsync().whenComplete((v, e) -> {
        if (e != null) {
          log.debug("refreshing the slot map of {} failed", name(), e);
        }
      });
    }

    @Override
    public void close() {
      closeQuietly(connection, client);
    }
  }
}
