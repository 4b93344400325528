package dev.lifeline.store.redis.internal;

import dev.lifeline.store.StoreException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisReadOnlyException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * One connection to Redis shared by a store and its ticket key store: runs scripts and reads,
 * retries what Redis never received (unreachable, loading, read-only replica) within a time
 * budget, applies the durability setting before a write counts as done, and completes every
 * future on its own thread ({@code lifeline-redis-ack}), never on Lettuce's I/O thread.
 *
 * <p>Durability: with {@code requireFsyncAlways} the server must report {@code appendonly yes},
 * {@code appendfsync always} and {@code maxmemory-policy noeviction}, checked when connecting and again after every reconnect (Redis
 * then fsyncs its AOF before it answers a write); with {@code replicas > 0} every write is
 * followed by {@code WAIT replicas timeout} and counts only if enough replicas confirmed it.
 */
public final class RedisLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisLink.class);

  /** What a builder configured. */
  public record Settings(Duration timeout, Duration retryFor, boolean requireFsyncAlways,
      int replicas, Duration replicaTimeout) {}

  private final String server;
  private final Settings settings;
  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final RedisAsyncCommands<byte[], byte[]> redis;
  private final ScheduledExecutorService retries;
  private final ExecutorService completions;
  private final Disposable reconnects;
  private volatile CompletableFuture<Void> verified;
  private volatile boolean closed;

  private RedisLink(String server, Settings settings, ClientResources resources,
      RedisClient client, StatefulRedisConnection<byte[], byte[]> connection) {
    this.server = server;
    this.settings = settings;
    this.resources = resources;
    this.client = client;
    this.connection = connection;
    this.redis = connection.async();
    this.retries = Executors.newSingleThreadScheduledExecutor(daemon("lifeline-redis-retry"));
    this.completions = Executors.newSingleThreadExecutor(daemon("lifeline-redis-ack"));
    this.verified = CompletableFuture.completedFuture(null);
    this.reconnects = resources.eventBus().get()
        .filter(e -> e instanceof ConnectionActivatedEvent)
        .subscribe(e -> {
          if (!closed) {
            log.info("connected to Redis at {}", server);
            verified = verify();
          }
        });
  }

  /**
   * Connects and checks the durability settings.
   *
   * @throws StoreException naming the server if it cannot be reached or is not durable as
   *     configured
   */
  public static RedisLink connect(String uri, Settings settings) throws StoreException {
    RedisURI redisUri;
    try {
      redisUri = RedisURI.create(uri);
    } catch (RuntimeException e) {
      throw new StoreException("Redis URI '" + uri + "' is not valid (expected: "
          + "redis://[:PASSWORD@]HOST:PORT[/DB] or rediss://...): " + e.getMessage(), e);
    }
    redisUri.setTimeout(settings.timeout());
    String server = redisUri.getHost() + ":" + redisUri.getPort();
    ClientResources resources = ClientResources.builder()
        .ioThreadPoolSize(2)
        .computationThreadPoolSize(2)
        .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
            TimeUnit.MILLISECONDS))
        .build();
    RedisClient client = RedisClient.create(resources, redisUri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        // A command for a disconnected Redis fails at once (and is retried here, knowing it was
        // never sent) instead of waiting in a buffer for a reconnect that may never come.
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(settings.timeout()))
        .build());
    StatefulRedisConnection<byte[], byte[]> connection = null;
    long deadline = System.nanoTime() + settings.retryFor().toNanos();
    for (int attempt = 1; connection == null; attempt++) {
      try {
        connection = client.connect(ByteArrayCodec.INSTANCE);
      } catch (RuntimeException e) {
        // A refused connection fails at once; a slow handshake (an overloaded Redis or host)
        // is tried again within retryFor.
        boolean slow = hasCause(e, RedisCommandTimeoutException.class);
        if (!slow || System.nanoTime() > deadline) {
          shutdown(client, resources);
          throw new StoreException("cannot connect to Redis at " + server + ": "
              + rootMessage(e), e);
        }
        log.info("connecting to Redis at {} timed out (attempt {}), trying again", server,
            attempt);
      }
    }
    RedisLink link = new RedisLink(server, settings, resources, client, connection);
    try {
      link.verified = link.verify();
      link.verified.get(settings.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      link.close();
      Throwable cause = unwrap(e);
      if (cause instanceof StoreException se) {
        throw se;
      }
      throw new StoreException("cannot check Redis at " + server + ": " + rootMessage(cause),
          cause);
    }
    return link;
  }

  /** "host:port", for messages. */
  public String server() {
    return server;
  }

  /** Runs a write script; done once durable as configured. Answers the script's reply list. */
  public CompletableFuture<List<Object>> write(String what, String script, byte[][] keys,
      byte[]... args) {
    return retrying(what, () -> this.<List<Object>>verifiedThen(
        () -> eval(script, ScriptOutputType.MULTI, keys, args)).thenCompose(this::durable));
  }

  /** Runs a write script answering an integer; done once durable as configured. */
  public CompletableFuture<Long> writeInteger(String what, String script, byte[][] keys,
      byte[]... args) {
    return retrying(what, () -> this.<Long>verifiedThen(
        () -> eval(script, ScriptOutputType.INTEGER, keys, args)).thenCompose(this::durable));
  }

  /** Runs a read; retried while Redis is unreachable. */
  public <T> CompletableFuture<T> read(String what,
      java.util.function.Function<RedisAsyncCommands<byte[], byte[]>, CompletionStage<T>> call) {
    return retrying(what, () -> call.apply(redis));
  }

  private <T> CompletionStage<T> verifiedThen(Supplier<CompletionStage<T>> op) {
    CompletableFuture<Void> v = verified;
    if (v.isCompletedExceptionally()) {
      v = verify(); // maybe the operator fixed the configuration meanwhile
      verified = v;
    }
    return v.thenCompose(ignored -> op.get());
  }

  private <T> CompletionStage<T> durable(T reply) {
    if (settings.replicas() == 0) {
      return CompletableFuture.completedFuture(reply);
    }
    long millis = settings.replicaTimeout().toMillis();
    return redis.waitForReplication(settings.replicas(), millis).thenApply(n -> {
      if (n < settings.replicas()) {
        throw new CompletionException(new StoreException("only " + n + " of "
            + settings.replicas() + " Redis replicas of " + server + " confirmed a write within "
            + millis + " ms; not acknowledged (it may still be stored)"));
      }
      return reply;
    });
  }

  @SuppressWarnings("unchecked")
  private <T> CompletionStage<T> eval(String script, ScriptOutputType type, byte[][] keys,
      byte[][] args) {
    String sha = sha1(script);
    return redis.<T>evalsha(sha, type, keys, args)
        .handle((reply, e) -> {
          if (e == null) {
            return CompletableFuture.completedFuture(reply);
          }
          if (unwrap(e) instanceof RedisNoScriptException) {
            // Redis restarted (its script cache is empty): send the script itself once.
            return redis.<T>eval(script.getBytes(StandardCharsets.UTF_8), type, keys, args)
                .toCompletableFuture();
          }
          return CompletableFuture.<T>failedFuture(unwrap(e));
        })
        .thenCompose(f -> (CompletionStage<T>) f);
  }

  private CompletableFuture<Void> verify() {
    if (!settings.requireFsyncAlways()) {
      return CompletableFuture.completedFuture(null);
    }
    return redis.configGet("appendonly", "appendfsync", "maxmemory-policy").toCompletableFuture()
        .handle((Map<String, String> config, Throwable e) -> {
          if (e != null) {
            throw new CompletionException(new StoreException("cannot check the persistence "
                + "settings of Redis at " + server + " (CONFIG GET: " + rootMessage(unwrap(e))
                + "); allow CONFIG GET for this user, or turn the check off and make sure "
                + "yourself that it runs with appendonly yes and appendfsync always", e));
          }
          String aof = config.get("appendonly");
          String fsync = config.get("appendfsync");
          if (!"yes".equals(aof) || !"always".equals(fsync)) {
            throw new CompletionException(new StoreException("Redis at " + server
                + " runs with appendonly " + aof + ", appendfsync " + fsync
                + " (expected: appendonly yes, appendfsync always, so that an acknowledged "
                + "checkpoint survives a Redis crash; see docs/deployment.md)"));
          }
          String eviction = config.get("maxmemory-policy");
          if (eviction != null && !"noeviction".equals(eviction)) {
            throw new CompletionException(new StoreException("Redis at " + server
                + " runs with maxmemory-policy " + eviction + " (expected: noeviction; an "
                + "evicting Redis silently drops sessions when memory runs short)"));
          }
          return null;
        });
  }

  /** Runs {@code op}, retrying failures that prove the command never ran, within retryFor. */
  private <T> CompletableFuture<T> retrying(String what, Supplier<CompletionStage<T>> op) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(new IllegalStateException("store is closed"));
      return result;
    }
    attempt(what, op, 1, System.nanoTime() + settings.retryFor().toNanos(), result);
    return result.whenCompleteAsync((v, e) -> { }, completions);
  }

  private <T> void attempt(String what, Supplier<CompletionStage<T>> op, int n, long deadline,
      CompletableFuture<T> result) {
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
      long delayMillis = Math.min(1000, 50L << Math.min(n, 5));
      if (neverRan(cause) && !closed
          && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis) < deadline) {
        log.debug("{} on Redis at {} failed (attempt {}), retrying: {}", what, server, n,
            cause.toString());
        try {
          retries.schedule(() -> attempt(what, op, n + 1, deadline, result), delayMillis,
              TimeUnit.MILLISECONDS);
          return;
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          // closed meanwhile: fail below
        }
      }
      result.completeExceptionally(describe(what, cause, n));
    });
  }

  /** True for failures where Redis certainly did not run the command, so a retry is safe. */
  private static boolean neverRan(Throwable e) {
    return e instanceof RedisConnectionException
        || e instanceof RedisLoadingException
        || e instanceof RedisReadOnlyException
        || (e instanceof RedisException && String.valueOf(e.getMessage())
            .startsWith("Currently not connected"));
  }

  private Throwable describe(String what, Throwable cause, int attempts) {
    if (cause instanceof StoreException || cause instanceof IllegalArgumentException
        || cause instanceof IllegalStateException) {
      return cause;
    }
    if (cause instanceof RedisCommandTimeoutException) {
      return new StoreException("Redis at " + server + " did not answer " + what + " within "
          + settings.timeout().toMillis() + " ms; not acknowledged (it may still be stored)",
          cause);
    }
    if (neverRan(cause)) {
      return new StoreException("Redis at " + server + " is unreachable (" + rootMessage(cause)
          + "); gave up " + what + " after " + attempts + " attempts in "
          + settings.retryFor().toMillis() + " ms", cause);
    }
    return new StoreException("Redis at " + server + " failed " + what + ": "
        + rootMessage(cause), cause);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    reconnects.dispose();
    try {
      connection.close();
    } catch (RuntimeException e) {
      log.debug("closing Redis connection", e);
    }
    shutdown(client, resources);
    retries.shutdownNow();
    completions.shutdown();
  }

  public boolean isClosed() {
    return closed;
  }

  private static void shutdown(RedisClient client, ClientResources resources) {
    try {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    } catch (RuntimeException e) {
      log.debug("shutting down Redis client", e);
    }
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
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

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null ? root.getClass().getSimpleName() : m;
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
