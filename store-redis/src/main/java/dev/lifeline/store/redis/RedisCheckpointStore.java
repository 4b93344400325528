package dev.lifeline.store.redis;

import dev.lifeline.TicketKeyStore;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.ExpiryListener;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.SessionTakenException;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.UnknownSessionException;
import dev.lifeline.store.internal.StoreRules;
import dev.lifeline.store.redis.internal.Claims;
import dev.lifeline.store.redis.internal.KeyLayout;
import dev.lifeline.store.redis.internal.RedisLink;
import dev.lifeline.store.redis.internal.RedisScripts;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CheckpointStore} on Redis, so that several server nodes behind a load balancer share
 * their sessions and a client resumes on whichever node it reaches. Passes the same contract
 * suite as the embedded file store.
 *
 * <p><b>Durability.</b> A future completes only after Redis accepted the change under the
 * configured durability. By default the store refuses to start unless Redis reports {@code
 * appendonly yes} and {@code appendfsync always} (Redis then fsyncs its append-only file before it
 * answers), so an acknowledged checkpoint survives a crash of Redis. {@link
 * Builder#waitForReplicas} adds {@code WAIT}: the change is also on that many replicas, so it
 * survives a failover to one of them. See {@code docs/deployment.md}.
 *
 * <p><b>Ownership.</b> A server {@linkplain #claim claims} a session when it resumes there; every
 * later write of this node is fenced by the claim's epoch, so once another node claimed the
 * session this node's writes fail with {@link SessionTakenException} and never overwrite it.
 *
 * <p><b>Expiry.</b> Records expire {@code ttl} after their last activity (checked on every read
 * with this store's clock; nodes need synchronised clocks). Redis itself deletes a record key
 * {@link Builder#expiryGrace} after that, so nothing outlives its time even if no node sweeps;
 * within the grace a sweep reports it to the {@link ExpiryListener} first.
 *
 * <p><b>Failures.</b> While Redis is unreachable an operation is retried for {@link
 * Builder#retryFor}, then fails with a {@link StoreException} naming the server; nothing is
 * acknowledged without a durable write. The connection comes back by itself.
 *
 * <p><b>Redis Cluster.</b> With a {@code redis-cluster://} URI the sessions are split into 256
 * shards spread over the cluster's hash slots; each change touches one slot. A slot that moved
 * or is migrating ({@code MOVED}, {@code ASK}, {@code TRYAGAIN}) and a shard whose primary fails
 * over ({@code CLUSTERDOWN}, a lost connection) cost a retry within {@code retryFor}. Replication
 * is asynchronous on a cluster too: use {@link Builder#waitForReplicas} so that a failover never
 * loses an acknowledged checkpoint. See {@code docs/deployment.md}.
 *
 * <pre>{@code
 * RedisCheckpointStore store = RedisCheckpointStore.builder("redis://10.0.0.5:6379")
 *     .ttl(Duration.ofHours(24))
 *     .expiryListener(record -> files.sessionExpired(record.id()))
 *     .build();
 * LifelineServer server = LifelineServer.builder()
 *     .store(store)
 *     .tls(ServerTlsConfig.builder().certificate(chain, key)
 *         .ticketKeyStore(store.ticketKeyStore()).build())
 *     ...
 * }</pre>
 */
public final class RedisCheckpointStore implements CheckpointStore {
  private static final Logger log = LoggerFactory.getLogger(RedisCheckpointStore.class);
  private static final byte[][] FIELDS = bytes("secret", "identity", "created", "active", "pos",
      "state", "attrs");
  private static final int SWEEP_BATCH = 500;

  private final RedisLink link;
  private final String prefix;
  private final String node;
  private final Clock clock;
  private final long ttlMillis;
  private final long graceMillis;
  private final ExpiryListener expiryListener;
  private final Duration ticketKeyRefresh;
  private final KeyLayout keys;
  private final Claims claims = new Claims();

  private RedisCheckpointStore(Builder b, RedisLink link) {
    this.link = link;
    this.prefix = b.keyPrefix;
    this.node = b.nodeId;
    this.clock = b.clock;
    this.ttlMillis = b.ttl.toMillis();
    this.graceMillis = b.expiryGrace.toMillis();
    this.expiryListener = b.expiryListener;
    this.ticketKeyRefresh = b.ticketKeyRefresh;
    this.keys = link.isCluster() ? KeyLayout.sharded(prefix) : KeyLayout.single(prefix);
  }

  /**
   * Starts a store on the Redis server at {@code uri}: {@code redis://HOST:PORT}, optionally
   * {@code redis://:PASSWORD@HOST:PORT/DB}, or {@code rediss://...} for TLS to Redis; or on a
   * Redis Cluster: {@code redis-cluster://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]} (seed
   * nodes; {@code rediss-cluster://} for TLS), where the sessions are spread over every primary.
   * Nothing connects until {@link Builder#build()}.
   *
   * @throws IllegalArgumentException if {@code uri} has none of these forms (the message names
   *     them; it never repeats the URI, which may hold a password)
   */
  public static Builder builder(String uri) {
    return new Builder(uri);
  }

  /**
   * The TLS session ticket key ring of all nodes, kept in the same Redis; give it to {@code
   * ServerTlsConfig.Builder#ticketKeyStore} on every node.
   */
  public TicketKeyStore ticketKeyStore() {
    return new RedisTicketKeyStore(link, keys.ticketKeys(), ticketKeyRefresh);
  }

  /** The name this node's claims carry. */
  public String nodeId() {
    return node;
  }

  @Override
  public boolean isShared() {
    return true;
  }

  @Override
  public CompletableFuture<Void> put(SessionRecord record) {
    Objects.requireNonNull(record, "record");
    Long held = claims.get(record.id());
    if (held != null && held == Claims.LOST) {
      return taken(record.id(), "");
    }
    return write(record, held == null ? "create" : "put", held == null ? 0 : held);
  }

  @Override
  public CompletableFuture<Void> claim(SessionRecord record) {
    Objects.requireNonNull(record, "record");
    return write(record, "claim", 0);
  }

  private CompletableFuture<Void> write(SessionRecord r, String mode, long held) {
    long now = clock.millis();
    return link.write("put of session " + r.id(), RedisScripts.PUT,
        keys(r.id()),
        utf8(mode), utf8(Long.toString(held)), utf8(node), r.secret(), utf8(r.identity()),
        utf8(Long.toString(r.createdAtMillis())), utf8(Long.toString(r.lastActiveMillis())),
        position(r.checkpoint().position()), r.checkpoint().state(), r.attributes(),
        utf8(Long.toString(pexpire(r.lastActiveMillis(), now))),
        utf8(Long.toString(r.lastActiveMillis() + ttlMillis)), utf8(r.id()))
        .thenApply(reply -> {
          String status = str(reply.get(0));
          if (status.equals("TAKEN")) {
            throw new CompletionException(takenException(r.id(), reply));
          }
          claims.held(r.id(), Long.parseLong(str(reply.get(1))));
          return null;
        });
  }

  @Override
  public CompletableFuture<Void> commit(String id, Checkpoint checkpoint) {
    Objects.requireNonNull(checkpoint, "checkpoint");
    try {
      SessionRecord.validateId(id);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    Long held = claims.get(id);
    if (held != null && held == Claims.LOST) {
      return taken(id, "");
    }
    long now = clock.millis();
    return link.write("commit of session " + id, RedisScripts.COMMIT, keys(id),
        utf8(held == null ? "" : Long.toString(held)), utf8(node), utf8(Long.toString(now)),
        utf8(Long.toString(ttlMillis)), position(checkpoint.position()), checkpoint.state(),
        utf8(Long.toString(pexpire(now, now))), utf8(Long.toString(now + ttlMillis)), utf8(id))
        .thenApply(reply -> {
          switch (str(reply.get(0))) {
            case "OK":
              return null;
            case "UNKNOWN":
              throw new CompletionException(new UnknownSessionException(id));
            case "TAKEN":
              throw new CompletionException(takenException(id, reply));
            default: // OLDER
              throw new CompletionException(new IllegalArgumentException(
                  "checkpoint position of session " + id + ": " + checkpoint.position()
                      + " (expected: >= " + Long.parseLong(str(reply.get(1)))
                      + ", the stored position)"));
          }
        });
  }

  @Override
  public CompletableFuture<Optional<SessionRecord>> load(String id) {
    try {
      SessionRecord.validateId(id);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return link.read("load of session " + id, redis -> redis.hmget(keys.record(id), FIELDS))
        .thenApply(values -> {
          byte[][] f = new byte[FIELDS.length][];
          for (int i = 0; i < f.length; i++) {
            KeyValue<byte[], byte[]> kv = values.get(i);
            f[i] = kv.hasValue() ? kv.getValue() : null;
          }
          if (f[3] == null) {
            return Optional.<SessionRecord>empty();
          }
          SessionRecord r = decode(id, f);
          return StoreRules.isExpired(r, ttlMillis, clock.millis())
              ? Optional.<SessionRecord>empty() : Optional.of(r);
        });
  }

  @Override
  public CompletableFuture<Void> delete(String id) {
    try {
      SessionRecord.validateId(id);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    Long held = claims.get(id);
    if (held != null && held == Claims.LOST) {
      return taken(id, "");
    }
    return link.write("delete of session " + id, RedisScripts.DELETE, keys(id),
        utf8(held == null ? "" : Long.toString(held)), utf8(node), utf8(id))
        .thenApply(reply -> {
          if (str(reply.get(0)).equals("TAKEN")) {
            throw new CompletionException(takenException(id, reply));
          }
          claims.forget(id);
          return null;
        });
  }

  @Override
  public CompletableFuture<List<String>> ids() {
    long now = clock.millis();
    // One index on a single primary; on a cluster one per shard, each on its own node.
    return link.read("listing of sessions", redis -> {
      List<CompletableFuture<List<byte[]>>> shards = new ArrayList<>();
      for (byte[] index : keys.indexes()) {
        shards.add(redis.zrangebyscore(index, Range.from(Range.Boundary.excluding(now),
            Range.Boundary.unbounded())).toCompletableFuture());
      }
      return CompletableFuture.allOf(shards.toArray(new CompletableFuture<?>[0]))
          .thenApply(v -> {
            List<String> ids = new ArrayList<>();
            for (CompletableFuture<List<byte[]>> shard : shards) {
              shard.join().forEach(m -> ids.add(new String(m, StandardCharsets.UTF_8)));
            }
            return ids;
          });
    });
  }

  @Override
  public CompletableFuture<List<String>> sweepExpired() {
    List<SessionRecord> expired = new ArrayList<>();
    long now = clock.millis();
    List<CompletableFuture<Void>> shards = new ArrayList<>();
    for (byte[] index : keys.indexes()) {
      shards.add(sweepRound(index, now, expired, 0));
    }
    return CompletableFuture.allOf(shards.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
      List<String> ids = new ArrayList<>(expired.size());
      for (SessionRecord r : expired) {
        ids.add(r.id());
        claims.forget(r.id());
        try {
          expiryListener.expired(r);
        } catch (RuntimeException e) {
          log.warn("expiry listener failed for session {}", r.id(), e);
        }
      }
      return ids;
    });
  }

  /** Removes expired records one batch of an index at a time, each atomically. */
  private CompletableFuture<Void> sweepRound(byte[] index, long now, List<SessionRecord> expired,
      int round) {
    return link.read("sweep of expired sessions", redis -> redis.zrangebyscore(index,
            Range.create(Long.MIN_VALUE, now), Limit.create(0, SWEEP_BATCH)))
        .thenCompose(members -> {
          List<CompletableFuture<Void>> each = new ArrayList<>();
          for (byte[] m : members) {
            String id = new String(m, StandardCharsets.UTF_8);
            each.add(link.write("expiry of session " + id, RedisScripts.SWEEP_ONE, keys(id),
                utf8(Long.toString(now)), utf8(Long.toString(ttlMillis)), m)
                .thenAccept(reply -> {
                  if (str(reply.get(0)).equals("EXPIRED")) {
                    byte[][] f = new byte[FIELDS.length][];
                    for (int i = 0; i < f.length; i++) {
                      f[i] = (byte[]) reply.get(i + 1);
                    }
                    synchronized (expired) {
                      expired.add(decode(id, f));
                    }
                  }
                }));
          }
          CompletableFuture<Void> all = CompletableFuture.allOf(
              each.toArray(new CompletableFuture<?>[0]));
          // A full batch may have more behind it; LIVE entries were re-scored past now.
          return members.size() < SWEEP_BATCH || round >= 100
              ? all : all.thenCompose(v -> sweepRound(index, now, expired, round + 1));
        });
  }

  @Override
  public void close() {
    link.close();
  }

  @Override
  public String toString() {
    return "RedisCheckpointStore{" + link.server() + ", prefix=" + prefix + ", node=" + node
        + ", ttl=" + Duration.ofMillis(ttlMillis) + "}";
  }

  private long pexpire(long lastActiveMillis, long now) {
    return Math.max(1, lastActiveMillis + ttlMillis - now + graceMillis);
  }

  private CompletableFuture<Void> taken(String id, String owner) {
    return CompletableFuture.failedFuture(new SessionTakenException(id,
        "session " + id + " was taken over by another node" + (owner.isEmpty() ? "" : " ("
            + owner + ")") + "; this node no longer writes it"));
  }

  private SessionTakenException takenException(String id, List<Object> reply) {
    claims.lost(id);
    String owner = reply.size() > 2 ? str(reply.get(2)) : "";
    return new SessionTakenException(id, owner.isEmpty()
        ? "session " + id + " was removed or taken over by another node"
        : "session " + id + " was taken over by node " + owner + "; this node no longer writes it");
  }

  /** A session's record and its index: one hash slot on a cluster, as a script needs. */
  private byte[][] keys(String id) {
    return new byte[][] {keys.record(id), keys.index(id)};
  }

  private static SessionRecord decode(String id, byte[][] f) {
    return SessionRecord.builder(id)
        .secret(f[0])
        .identity(new String(f[1], StandardCharsets.UTF_8))
        .createdAtMillis(Long.parseLong(str(f[2])))
        .lastActiveMillis(Long.parseLong(str(f[3])))
        .checkpoint(Checkpoint.of(Long.parseLong(str(f[4])), f[5]))
        .attributes(f[6])
        .build();
  }

  private static byte[] position(long position) {
    return utf8(String.format("%019d", position));
  }

  private static String str(Object o) {
    return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[][] bytes(String... names) {
    byte[][] b = new byte[names.length][];
    for (int i = 0; i < names.length; i++) {
      b[i] = utf8(names[i]);
    }
    return b;
  }

  /** Configures a {@link RedisCheckpointStore}. */
  public static final class Builder {
    private final String uri;
    private String keyPrefix = "lifeline:";
    private String nodeId;
    private Clock clock = Clock.systemUTC();
    private Duration ttl = StoreRules.DEFAULT_TTL;
    private Duration expiryGrace = Duration.ofHours(1);
    private ExpiryListener expiryListener = ExpiryListener.NONE;
    private Duration timeout = Duration.ofSeconds(5);
    private Duration retryFor = Duration.ofSeconds(10);
    private boolean requireFsyncAlways = true;
    private int replicas;
    private Duration replicaTimeout = Duration.ofSeconds(1);
    private Duration ticketKeyRefresh = Duration.ofSeconds(10);

    private Builder(String uri) {
      RedisLink.checkUri(Objects.requireNonNull(uri, "uri"));
      this.uri = uri;
    }

    /** Prefix of every key this store uses; default {@code lifeline:}. Nodes must agree. */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
      return this;
    }

    /** The name this node's claims carry (logs, errors); default a random one. */
    public Builder nodeId(String nodeId) {
      if (nodeId.isEmpty() || nodeId.length() > 128) {
        throw new IllegalArgumentException("nodeId: " + nodeId.length()
            + " chars (expected: 1..128)");
      }
      this.nodeId = nodeId;
      return this;
    }

    /** How long a record lives after its last activity; default one day. Nodes must agree. */
    public Builder ttl(Duration ttl) {
      this.ttl = StoreRules.checkTtl(Objects.requireNonNull(ttl, "ttl"));
      return this;
    }

    /**
     * How long after a record expired Redis deletes its key by itself; default one hour. Within
     * it, a sweep finds the record and tells the {@link ExpiryListener}.
     */
    public Builder expiryGrace(Duration grace) {
      this.expiryGrace = StoreRules.checkNotNegative("expiryGrace", grace);
      return this;
    }

    /** The time source for expiry and activity times; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Told about every record {@link #sweepExpired()} removed. */
    public Builder expiryListener(ExpiryListener expiryListener) {
      this.expiryListener = Objects.requireNonNull(expiryListener, "expiryListener");
      return this;
    }

    /** How long one command may take before it fails (unknown outcome); default 5 s. */
    public Builder timeout(Duration timeout) {
      this.timeout = StoreRules.checkPositive("timeout", timeout);
      return this;
    }

    /**
     * How long an operation is retried while Redis is unreachable (it certainly did not run)
     * before its future fails; default 10 s.
     */
    public Builder retryFor(Duration retryFor) {
      this.retryFor = StoreRules.checkNotNegative("retryFor", retryFor);
      return this;
    }

    /**
     * Whether to refuse a Redis that does not run with {@code appendonly yes}, {@code
     * appendfsync always} and {@code maxmemory-policy noeviction}; default {@code true}. Turn it off only when Redis forbids {@code CONFIG
     * GET} and you made sure yourself, or when acknowledged checkpoints may be lost with Redis
     * (tests, or with {@link #waitForReplicas} as the only protection).
     */
    public Builder requireAppendFsyncAlways(boolean require) {
      this.requireFsyncAlways = require;
      return this;
    }

    /**
     * Acknowledges a change only once {@code replicas} replicas confirmed it ({@code WAIT}),
     * waiting at most {@code timeout}; default 0 (no WAIT). Protects acknowledged checkpoints
     * against a failover to a replica.
     */
    public Builder waitForReplicas(int replicas, Duration timeout) {
      if (replicas < 0) {
        throw new IllegalArgumentException("replicas: " + replicas + " (expected: >= 0)");
      }
      this.replicas = replicas;
      this.replicaTimeout = StoreRules.checkPositive("timeout", timeout);
      return this;
    }

    /**
     * How often every node re-reads the shared ticket key ring; default 10 s. A new key becomes
     * the encrypting one only three of these after it was added, so every node can already
     * decrypt tickets under it.
     */
    public Builder ticketKeyRefresh(Duration refresh) {
      this.ticketKeyRefresh = StoreRules.checkPositive("ticketKeyRefresh", refresh);
      return this;
    }

    /**
     * Connects and, unless turned off, checks the persistence settings.
     *
     * @throws StoreException naming the server when it cannot be reached or is not durable
     */
    public RedisCheckpointStore build() throws StoreException {
      if (nodeId == null) {
        byte[] r = new byte[6];
        new SecureRandom().nextBytes(r);
        nodeId = "node-" + HexFormat.of().formatHex(r);
      }
      RedisLink link = RedisLink.connect(uri, new RedisLink.Settings(timeout, retryFor,
          requireFsyncAlways, replicas, replicaTimeout));
      RedisCheckpointStore store = new RedisCheckpointStore(this, link);
      log.info("Redis store on {} (node {}, durability: {}{})", link.name(), nodeId,
          requireFsyncAlways ? "appendfsync always" : "as configured on the server",
          replicas > 0 ? ", WAIT " + replicas : "");
      return store;
    }
  }
}
