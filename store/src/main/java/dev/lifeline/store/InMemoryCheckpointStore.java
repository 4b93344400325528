package dev.lifeline.store;

import dev.lifeline.store.internal.MemoryOutbox;
import dev.lifeline.store.internal.StoreRules;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CheckpointStore} that keeps records in memory only: for tests and for endpoints that
 * accept losing their sessions when the process ends. Every future is already complete when
 * returned; otherwise it keeps the same contract as the file store.
 *
 * <pre>{@code
 * MutableClock clock = ...; // any java.time.Clock
 * CheckpointStore store = InMemoryCheckpointStore.builder()
 *     .ttl(Duration.ofMinutes(5))
 *     .clock(clock)
 *     .build();
 * }</pre>
 */
public final class InMemoryCheckpointStore implements CheckpointStore {
  private static final Logger log = LoggerFactory.getLogger(InMemoryCheckpointStore.class);

  private final Clock clock;
  private final long ttlMillis;
  private final ExpiryListener expiryListener;
  private final Object lock = new Object();
  /** Guarded by {@link #lock}. */
  private final Map<String, SessionRecord> records = new HashMap<>();
  /** Guarded by {@link #lock}. */
  private boolean closed;
  /** Guarded by {@link #lock}. */
  private final Map<String, MemoryOutbox> outboxes = new HashMap<>();

  /** A store with the default time to live (one day) and the system clock. */
  public InMemoryCheckpointStore() {
    this(builder());
  }

  private InMemoryCheckpointStore(Builder b) {
    this.clock = b.clock;
    this.ttlMillis = b.ttl.toMillis();
    this.expiryListener = b.expiryListener;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public CompletableFuture<Void> put(SessionRecord record) {
    Objects.requireNonNull(record, "record");
    synchronized (lock) {
      if (closed) {
        return closedFuture();
      }
      records.put(record.id(), record);
      return CompletableFuture.completedFuture(null);
    }
  }

  @Override
  public CompletableFuture<Void> commit(String id, Checkpoint checkpoint) {
    Objects.requireNonNull(checkpoint, "checkpoint");
    try {
      SessionRecord.validateId(id);
      synchronized (lock) {
        if (closed) {
          return closedFuture();
        }
        long now = clock.millis();
        records.put(id, StoreRules.commit(live(id, now), id, checkpoint, now));
        return CompletableFuture.completedFuture(null);
      }
    } catch (IllegalArgumentException | StoreException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Optional<SessionRecord>> load(String id) {
    try {
      SessionRecord.validateId(id);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    synchronized (lock) {
      if (closed) {
        return closedFuture();
      }
      return CompletableFuture.completedFuture(Optional.ofNullable(live(id, clock.millis())));
    }
  }

  @Override
  public CompletableFuture<Void> delete(String id) {
    try {
      SessionRecord.validateId(id);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    synchronized (lock) {
      if (closed) {
        return closedFuture();
      }
      records.remove(id);
      return CompletableFuture.completedFuture(null);
    }
  }

  @Override
  public CompletableFuture<List<String>> ids() {
    synchronized (lock) {
      if (closed) {
        return closedFuture();
      }
      long now = clock.millis();
      List<String> ids = new ArrayList<>();
      for (SessionRecord r : records.values()) {
        if (!StoreRules.isExpired(r, ttlMillis, now)) {
          ids.add(r.id());
        }
      }
      return CompletableFuture.completedFuture(ids);
    }
  }

  @Override
  public CompletableFuture<List<String>> sweepExpired() {
    List<SessionRecord> expired = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        return closedFuture();
      }
      long now = clock.millis();
      for (Iterator<SessionRecord> it = records.values().iterator(); it.hasNext(); ) {
        SessionRecord r = it.next();
        if (StoreRules.isExpired(r, ttlMillis, now)) {
          expired.add(r);
          it.remove();
        }
      }
    }
    List<String> ids = new ArrayList<>(expired.size());
    for (SessionRecord r : expired) {
      ids.add(r.id());
      try {
        expiryListener.expired(r);
      } catch (RuntimeException e) {
        log.warn("expiry listener failed for session {}", r.id(), e);
      }
    }
    return CompletableFuture.completedFuture(ids);
  }

  @Override
  public boolean supportsOutbox() {
    return true;
  }

  /** The outbox under {@code key}, the same one (with what it holds) each time until deleted. */
  @Override
  public Outbox openOutbox(String key) {
    Objects.requireNonNull(key, "key");
    synchronized (lock) {
      MemoryOutbox o = outboxes.get(key);
      if (o == null || o.isDeleted()) {
        o = new MemoryOutbox();
        outboxes.put(key, o);
      }
      return o;
    }
  }

  @Override
  public void deleteOutbox(String key) {
    synchronized (lock) {
      MemoryOutbox o = outboxes.remove(key);
      if (o != null) {
        o.delete();
      }
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
    }
  }

  @Override
  public String toString() {
    return "InMemoryCheckpointStore{ttl=" + Duration.ofMillis(ttlMillis) + "}";
  }

  /** Guarded by {@link #lock}. */
  private SessionRecord live(String id, long now) {
    SessionRecord r = records.get(id);
    return r == null || StoreRules.isExpired(r, ttlMillis, now) ? null : r;
  }

  private static <T> CompletableFuture<T> closedFuture() {
    return CompletableFuture.failedFuture(new IllegalStateException("store is closed"));
  }

  /** Configures an {@link InMemoryCheckpointStore}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration ttl = StoreRules.DEFAULT_TTL;
    private ExpiryListener expiryListener = ExpiryListener.NONE;

    private Builder() {}

    /** How long a record lives after its last activity; default one day. */
    public Builder ttl(Duration ttl) {
      this.ttl = StoreRules.checkTtl(Objects.requireNonNull(ttl, "ttl"));
      return this;
    }

    /** The time source for expiry and for the activity time a commit sets. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Told about every record {@link #sweepExpired()} removed. */
    public Builder expiryListener(ExpiryListener expiryListener) {
      this.expiryListener = Objects.requireNonNull(expiryListener, "expiryListener");
      return this;
    }

    public InMemoryCheckpointStore build() {
      return new InMemoryCheckpointStore(this);
    }
  }
}
