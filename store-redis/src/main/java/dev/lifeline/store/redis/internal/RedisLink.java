package dev.lifeline.store.redis.internal;

import dev.lifeline.store.StoreException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisReadOnlyException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.PartitionSelectorException;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * The connection to Redis shared by a store and its ticket key store: runs scripts and reads,
 * retries what Redis never received (unreachable, loading, read-only replica, a slot that moved
 * or is migrating, a cluster failing over) within a time budget, applies the durability setting
 * before a write counts as done, and completes every future on its own thread ({@code
 * lifeline-redis-ack}), never on Lettuce's I/O thread. It talks to one primary ({@code redis://})
 * or to a Redis Cluster ({@code redis-cluster://}); see {@link RedisEndpoint}.
 *
 * <p>Durability: with {@code requireFsyncAlways} every node must report {@code appendonly yes},
 * {@code appendfsync always} and {@code maxmemory-policy noeviction}: every node of a cluster,
 * replicas too, when connecting; each primary again before its first write after any reconnect
 * or promotion (Redis then fsyncs its AOF before it answers a write). With {@code replicas > 0}
 * every write is followed by {@code WAIT replicas timeout} on the node that ran it and counts only
 * if enough replicas confirmed it.
 */
public final class RedisLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisLink.class);

  /** What a builder configured. */
  public record Settings(Duration timeout, Duration retryFor, boolean requireFsyncAlways,
      int replicas, Duration replicaTimeout) {}

  private final Settings settings;
  private final ClientResources resources;
  private final RedisEndpoint endpoint;
  private final ScheduledExecutorService retries;
  private final ExecutorService completions;
  private final Disposable reconnects;
  /** Per node address: its durability check, done before its first write (again after reconnects). */
  private final Map<String, CompletableFuture<Void>> verified = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private RedisLink(Settings settings, ClientResources resources, RedisEndpoint endpoint) {
    this.settings = settings;
    this.resources = resources;
    this.endpoint = endpoint;
    this.retries = Executors.newSingleThreadScheduledExecutor(daemon("lifeline-redis-retry"));
    this.completions = Executors.newSingleThreadExecutor(daemon("lifeline-redis-ack"));
    this.reconnects = resources.eventBus().get()
        .filter(e -> e instanceof ConnectionActivatedEvent)
        .subscribe(e -> activated(((ConnectionActivatedEvent) e).remoteAddress()));
  }

  /**
   * A connection to a node came up: that node may have restarted with other settings, so its
   * next write checks them again. (On a cluster Lettuce also opens short connections to every
   * node for each slot-map refresh; they land here too, and cost one CONFIG GET each.)
   */
  private void activated(SocketAddress remote) {
    if (closed) {
      return;
    }
    String address = remote instanceof InetSocketAddress a
        ? a.getHostString() + ":" + a.getPort() : String.valueOf(remote);
    if (isCluster()) {
      verified.remove(address);
      log.debug("connected to Redis at {}", address);
    } else {
      verified.clear(); // one node, however it is named
      log.info("connected to Redis at {}", address);
    }
  }

  /**
   * Connects and checks the durability settings of every node.
   *
   * @throws StoreException naming the server if it cannot be reached or is not durable as
   *     configured
   */
  public static RedisLink connect(String uri, Settings settings) throws StoreException {
    ClientResources resources = ClientResources.builder()
        .ioThreadPoolSize(2)
        .computationThreadPoolSize(2)
        .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
            TimeUnit.MILLISECONDS))
        .build();
    RedisEndpoint endpoint;
    try {
      endpoint = RedisEndpoint.connect(uri, settings.timeout(), settings.retryFor(), resources);
    } catch (StoreException | RuntimeException e) {
      resources.shutdown(0, 2, TimeUnit.SECONDS);
      throw e;
    }
    RedisLink link = new RedisLink(settings, resources, endpoint);
    try {
      link.verifyAll().get(settings.timeout().toMillis() * 2 + 1000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      link.close();
      Throwable cause = unwrap(e);
      if (cause instanceof StoreException se) {
        throw se;
      }
      throw new StoreException("cannot check " + endpoint.name() + ": " + rootMessage(cause),
          cause);
    }
    return link;
  }

  /**
   * Checks the form of a {@code redis://}, {@code rediss://} or {@code redis-cluster://} URI
   * without connecting.
   *
   * @throws IllegalArgumentException naming the expected forms, never echoing the URI
   */
  public static void checkUri(String uri) {
    RedisEndpoint.checkForm(uri);
  }

  /** "Redis at HOST:PORT" or "Redis Cluster at HOST:PORT,...", for messages. */
  public String name() {
    return endpoint.name();
  }

  /** Whether this is a Redis Cluster (the store then shards its keys). */
  public boolean isCluster() {
    return endpoint instanceof RedisEndpoint.Cluster;
  }

  /** "host:port", for messages. */
  public String server() {
    return endpoint.server();
  }

  /** Runs a write script; done once durable as configured. Answers the script's reply list. */
  public CompletableFuture<List<Object>> write(String what, String script, byte[][] keys,
      byte[]... args) {
    return retrying(what, () -> onPrimary(keys[0], node ->
        this.<List<Object>>eval(node, script, ScriptOutputType.MULTI, keys, args)
            .thenCompose(reply -> durable(node, reply))));
  }

  /** Runs a write script answering an integer; done once durable as configured. */
  public CompletableFuture<Long> writeInteger(String what, String script, byte[][] keys,
      byte[]... args) {
    return retrying(what, () -> onPrimary(keys[0], node ->
        this.<Long>eval(node, script, ScriptOutputType.INTEGER, keys, args)
            .thenCompose(reply -> durable(node, reply))));
  }

  /**
   * Runs a read; retried while Redis is unreachable. On a cluster the commands route by key and
   * follow redirections; a command without a key goes to any node.
   */
  public <T> CompletableFuture<T> read(String what,
      Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> call) {
    return retrying(what, () -> call.apply(endpoint.reads()), RedisLink::mayRetryRead);
  }

  /** Runs {@code op} on the primary owning {@code key}, once that node's settings were checked. */
  private <T> CompletionStage<T> onPrimary(byte[] key,
      Function<RedisEndpoint.Node, CompletionStage<T>> op) {
    return endpoint.primaryFor(key).thenCompose(node -> verified(node)
        .thenCompose(ignored -> op.apply(node))
        .exceptionally(e -> {
          throw new CompletionException(new OnNode(node.address(), unwrap(e)));
        }));
  }

  /** A write's failure on one node: messages name that node, not the seed list. */
  private static final class OnNode extends RuntimeException {
    final String address;

    OnNode(String address, Throwable cause) {
      super(cause.getMessage(), cause, false, false);
      this.address = address;
    }
  }

  private CompletableFuture<Void> verified(RedisEndpoint.Node node) {
    CompletableFuture<Void> v = verified.computeIfAbsent(node.address(), a -> verify(node));
    if (v.isCompletedExceptionally()) {
      // Maybe the operator fixed the configuration meanwhile, or the node is back: ask again.
      verified.remove(node.address(), v);
      v = verified.computeIfAbsent(node.address(), a -> verify(node));
    }
    return v;
  }

  /**
   * Checks every node at start. A node that is down now (a replica being replaced) is checked
   * before its first write instead; a node that answers with the wrong settings stops the start.
   */
  private CompletableFuture<Void> verifyAll() {
    List<CompletableFuture<Boolean>> each = new ArrayList<>();
    for (CompletableFuture<RedisEndpoint.Node> node : endpoint.allNodes()) {
      each.add(node.thenCompose(this::verified).handle((v, e) -> {
          Throwable cause = e == null ? null : unwrap(e);
        if (cause instanceof RedisEndpoint.NotSent) {
          log.warn("{}; checked before its first write instead", cause.getMessage());
          return false;
        }
        if (cause != null) {
          throw new CompletionException(cause);
        }
        return true;
      }));
    }
    return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenAccept(v -> {
      if (each.stream().noneMatch(CompletableFuture::join)) {
        throw new CompletionException(new StoreException("cannot check " + endpoint.name()
            + ": no node answered"));
      }
    });
  }

  private <T> CompletionStage<T> durable(RedisEndpoint.Node node, T reply) {
    if (settings.replicas() == 0) {
      return CompletableFuture.completedFuture(reply);
    }
    long millis = settings.replicaTimeout().toMillis();
    // On the node that ran the write, on the same connection: WAIT counts what that node
    // received before it, so the write itself.
    return node.commands().waitForReplication(settings.replicas(), millis).thenApply(n -> {
      if (n < settings.replicas()) {
        throw new CompletionException(new StoreException("only " + n + " of "
            + settings.replicas() + " replicas of Redis at " + node.address()
            + " confirmed a write within " + millis + " ms; not acknowledged (it may still be "
            + "stored)"));
      }
      return reply;
    });
  }

  @SuppressWarnings("unchecked")
  private <T> CompletionStage<T> eval(RedisEndpoint.Node node, String script,
      ScriptOutputType type, byte[][] keys, byte[][] args) {
    String sha = sha1(script);
    RedisAsyncCommands<byte[], byte[]> redis = node.commands();
    return redis.<T>evalsha(sha, type, keys, args)
        .handle((reply, e) -> {
          if (e == null) {
            return CompletableFuture.completedFuture(reply);
          }
          if (unwrap(e) instanceof RedisNoScriptException) {
            // A node that restarted or was never asked (a new primary) has no cached script:
            // send the script itself once.
            return redis.<T>eval(script.getBytes(StandardCharsets.UTF_8), type, keys, args)
                .toCompletableFuture();
          }
          return CompletableFuture.<T>failedFuture(unwrap(e));
        })
        .thenCompose(f -> (CompletionStage<T>) f);
  }

  private CompletableFuture<Void> verify(RedisEndpoint.Node node) {
    if (!settings.requireFsyncAlways()) {
      return CompletableFuture.completedFuture(null);
    }
    String where = "Redis at " + node.address();
    return node.commands().configGet("appendonly", "appendfsync", "maxmemory-policy")
        .toCompletableFuture()
        .handle((Map<String, String> config, Throwable e) -> {
          Throwable cause = e == null ? null : unwrap(e);
          if (cause != null && (neverRan(cause)
              || cause instanceof RedisCommandTimeoutException)) {
            // The node is down or slow (a primary just killed, a replica being promoted): the
            // write behind this check was not sent, so it may be tried again.
            throw new CompletionException(new RedisEndpoint.NotSent("cannot check the "
                + "persistence settings of " + where + ": " + rootMessage(cause), cause));
          }
          if (e != null) {
            throw new CompletionException(new StoreException("cannot check the persistence "
                + "settings of " + where + " (CONFIG GET: " + rootMessage(unwrap(e))
                + "); allow CONFIG GET for this user, or turn the check off and make sure "
                + "yourself that it runs with appendonly yes and appendfsync always", e));
          }
          String aof = config.get("appendonly");
          String fsync = config.get("appendfsync");
          if (!"yes".equals(aof) || !"always".equals(fsync)) {
            throw new CompletionException(new StoreException(where
                + " runs with appendonly " + aof + ", appendfsync " + fsync
                + " (expected: appendonly yes, appendfsync always, so that an acknowledged "
                + "checkpoint survives a Redis crash; see docs/deployment.md)"));
          }
          String eviction = config.get("maxmemory-policy");
          if (eviction != null && !"noeviction".equals(eviction)) {
            throw new CompletionException(new StoreException(where
                + " runs with maxmemory-policy " + eviction + " (expected: noeviction; an "
                + "evicting Redis silently drops sessions when memory runs short)"));
          }
          return null;
        });
  }

  /** Runs a write, retrying failures that prove it never ran, within retryFor. */
  private <T> CompletableFuture<T> retrying(String what, Supplier<CompletionStage<T>> op) {
    return retrying(what, op, RedisLink::neverRan);
  }

  /** Runs {@code op}, retrying the failures {@code mayRetry} accepts, within retryFor. */
  private <T> CompletableFuture<T> retrying(String what, Supplier<CompletionStage<T>> op,
      Predicate<Throwable> mayRetry) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(new IllegalStateException("store is closed"));
      return result;
    }
    attempt(what, op, mayRetry, 1, System.nanoTime() + settings.retryFor().toNanos(), result);
    return result.whenCompleteAsync((v, e) -> { }, completions);
  }

  private <T> void attempt(String what, Supplier<CompletionStage<T>> op,
      Predicate<Throwable> mayRetry, int n, long deadline, CompletableFuture<T> result) {
    CompletionStage<T> stage;
    try {
      stage = op.get();
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    stage.whenComplete((v, e) -> {
      if (e == null) {
        result.complete(v);
        return;
      }
      Throwable cause = unwrap(e);
      String where = endpoint.name();
      if (cause instanceof OnNode on) {
        where = "Redis at " + on.address;
        cause = on.getCause();
      }
      long delayMillis = Math.min(1000, 50L << Math.min(n, 5));
      boolean retry = mayRetry.test(cause);
      if (retry) {
        endpoint.topologyChanged(); // a moved slot or a lost primary: the map may be stale
      }
      if (retry && !closed
          && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis) < deadline) {
        log.debug("{} on {} failed (attempt {}), retrying: {}", what, where, n,
            cause.toString());
        try {
          retries.schedule(() -> attempt(what, op, mayRetry, n + 1, deadline, result),
              delayMillis, TimeUnit.MILLISECONDS);
          return;
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          // closed meanwhile: fail below
        }
      }
      result.completeExceptionally(describe(what, where, cause, n));
    });
  }

  /**
   * True for read failures worth another try: everything but an error Redis answered (a wrong
   * type, a refused command) and a closed store. A read changes nothing, so one whose connection
   * was reset by a dying primary, or that timed out on a loaded one, is simply asked again.
   */
  static boolean mayRetryRead(Throwable e) {
    return neverRan(e) || e instanceof RedisCommandTimeoutException
        || e instanceof java.io.IOException
        || (e instanceof RedisException && !(e instanceof RedisCommandExecutionException));
  }

  /**
   * True for failures where Redis certainly did not run the command, so a retry is safe: not
   * connected or not sent, still loading, a read-only replica, and on a cluster a slot that moved
   * ({@code MOVED}), is being migrated ({@code ASK}, {@code TRYAGAIN}: a script's keys are split
   * between two nodes for a moment) or has no primary while one fails over ({@code CLUSTERDOWN}).
   */
  static boolean neverRan(Throwable e) {
    if (e instanceof RedisConnectionException || e instanceof RedisLoadingException
        || e instanceof RedisReadOnlyException || e instanceof RedisEndpoint.NotSent
        || e instanceof PartitionSelectorException) {
      return true;
    }
    if (!(e instanceof RedisException) || e instanceof RedisCommandTimeoutException) {
      return false;
    }
    String m = String.valueOf(e.getMessage());
    return m.startsWith("Currently not connected") || m.startsWith("MOVED ")
        || m.startsWith("ASK ") || m.startsWith("TRYAGAIN") || m.startsWith("CLUSTERDOWN")
        || m.startsWith("MASTERDOWN")
        || (m.startsWith("Connection to ") && m.contains("not allowed"));
  }

  private Throwable describe(String what, String where, Throwable cause, int attempts) {
    if (cause instanceof StoreException || cause instanceof IllegalArgumentException
        || cause instanceof IllegalStateException) {
      return cause;
    }
    if (cause instanceof RedisCommandTimeoutException) {
      return new StoreException(where + " did not answer " + what + " within "
          + settings.timeout().toMillis() + " ms; not acknowledged (it may still be stored)",
          cause);
    }
    if (neverRan(cause)) {
      return new StoreException(where + " is unreachable (" + rootMessage(cause)
          + "); gave up " + what + " after " + attempts + " attempts in "
          + settings.retryFor().toMillis() + " ms", cause);
    }
    return new StoreException(where + " failed " + what + ": "
        + rootMessage(cause), cause);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    reconnects.dispose();
    endpoint.close();
    resources.shutdown(0, 2, TimeUnit.SECONDS);
    retries.shutdownNow();
    completions.shutdown();
  }

  public boolean isClosed() {
    return closed;
  }

  static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException || e instanceof java.util.concurrent.ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    // One line: Lettuce's cluster client lists each seed's failure on lines of their own.
    return m == null
        ? root.getClass().getSimpleName() : m.strip().replaceAll("\\s*\n\\s*", " ");
  }

  private static String sha1(String script) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
          .digest(script.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-1 is required of every JDK", e);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
