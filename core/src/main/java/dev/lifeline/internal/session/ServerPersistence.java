package dev.lifeline.internal.session;

import dev.lifeline.ServerEventListener;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.SessionTakenException;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A server session's record: keyed by the session id, holding token hashes and the identity that
 * created it. Every write goes to the store under this object's lock, so the store receives them
 * in the order they were made and a later whole-record put never carries an older checkpoint.
 *
 * <p>With a shared store, a session loaded from it is {@linkplain CheckpointStore#claim claimed}
 * by its first write; a write the store refuses because another node claimed the session since
 * reports {@code taken} once, so the server drops its stale copy.
 */
final class ServerPersistence implements SessionPersistence {
  private final CheckpointStore store;
  private final Clock clock;
  private final BiConsumer<SessionCore, Boolean> onRelease;
  private final ServerEventListener events;
  private final Consumer<SessionTakenException> onTaken;
  // guarded by this
  private SessionRecord record;
  // guarded by this: the next whole-record write claims the session for this node
  private boolean claimNext;
  // guarded by this
  private boolean taken;
  // guarded by this: the client's producer, null without one, and its highest durable message
  private Producers.Resume producer;
  private byte[] producerSecret;
  private long producerStored;

  ServerPersistence(CheckpointStore store, Clock clock, SessionRecord record,
      BiConsumer<SessionCore, Boolean> onRelease, ServerEventListener events,
      Consumer<SessionTakenException> onTaken) {
    this.store = store;
    this.events = events;
    this.clock = clock;
    this.record = record;
    this.onRelease = onRelease;
    this.onTaken = onTaken;
  }

  synchronized SessionRecord record() {
    return record;
  }

  /** Makes the next write a claim: the session was loaded from a shared store. */
  synchronized void claimOnNextWrite() {
    claimNext = true;
  }

  synchronized CompletableFuture<Void> putSecret(byte[] secret) {
    record = record.withSecret(secret, clock.millis());
    return putRecord();
  }

  /**
   * The session belongs to a client's durable outbox: each checkpoint that lands also moves the
   * producer's record ({@link Producers}). {@code secret} is one no client knows (the record is
   * not a session that could be resumed).
   */
  synchronized void producer(Producers.Resume producer, byte[] secret) {
    this.producer = producer;
    this.producerSecret = ResumeTokens.initialSecret(secret);
    this.producerStored = producer.base() + producer.checkpoint().position();
  }

  /** After a checkpoint landed: the producer's progress, written if it moved. */
  private synchronized void producerProgress(Checkpoint checkpoint) {
    long position = producer.base() + checkpoint.position();
    if (position <= producerStored) {
      return;
    }
    producerStored = position;
    store.put(Producers.record(producer.key(), record.identity(), producerSecret,
        Checkpoint.of(position, checkpoint.state()), clock.millis()));
  }

  /** Refreshes the activity time so a connected session does not expire. */
  synchronized CompletableFuture<Void> touch() {
    record = record.toBuilder().lastActiveMillis(clock.millis()).build();
    return putRecord();
  }

  @Override
  public synchronized CompletableFuture<Void> commit(Checkpoint checkpoint) {
    if (checkpoint.position() >= record.checkpoint().position()) {
      record = record.withCheckpoint(checkpoint, clock.millis());
    }
    String id = record.id();
    long start = System.nanoTime();
    CompletableFuture<Void> done = watch(store.commit(id, checkpoint));
    done.thenRun(() -> events.checkpointCommitted(id, System.nanoTime() - start));
    if (producer != null) {
      done.thenRun(() -> producerProgress(checkpoint));
    }
    return done;
  }

  @Override
  public synchronized byte[] attributes() {
    return record.attributes();
  }

  @Override
  public synchronized CompletableFuture<Void> setAttributes(byte[] attributes) {
    record = record.toBuilder().attributes(attributes).lastActiveMillis(clock.millis()).build();
    return putRecord();
  }

  @Override
  public void released(SessionCore session, boolean forget) {
    if (forget) {
      synchronized (this) {
        store.delete(record.id());
      }
    }
    onRelease.accept(session, forget);
  }

  /** Guarded by this. */
  private CompletableFuture<Void> putRecord() {
    if (claimNext) {
      claimNext = false;
      return watch(store.claim(record));
    }
    return watch(store.put(record));
  }

  private CompletableFuture<Void> watch(CompletableFuture<Void> write) {
    return write.whenComplete((v, e) -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null
          ? e.getCause() : e;
      if (cause instanceof SessionTakenException taken) {
        boolean first;
        synchronized (this) {
          first = !this.taken;
          this.taken = true;
        }
        if (first) {
          onTaken.accept(taken);
        }
      }
    });
  }
}
