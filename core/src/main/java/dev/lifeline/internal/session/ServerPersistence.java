package dev.lifeline.internal.session;

import dev.lifeline.ServerEventListener;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.SessionRecord;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * A server session's record: keyed by the session id, holding token hashes and the identity that
 * created it. Every write goes to the store under this object's lock, so the store receives them
 * in the order they were made and a later whole-record put never carries an older checkpoint.
 */
final class ServerPersistence implements SessionPersistence {
  private final CheckpointStore store;
  private final Clock clock;
  private final BiConsumer<SessionCore, Boolean> onRelease;
  private final ServerEventListener events;
  // guarded by this
  private SessionRecord record;

  ServerPersistence(CheckpointStore store, Clock clock, SessionRecord record,
      BiConsumer<SessionCore, Boolean> onRelease, ServerEventListener events) {
    this.store = store;
    this.events = events;
    this.clock = clock;
    this.record = record;
    this.onRelease = onRelease;
  }

  synchronized SessionRecord record() {
    return record;
  }

  synchronized CompletableFuture<Void> putSecret(byte[] secret) {
    record = record.withSecret(secret, clock.millis());
    return store.put(record);
  }

  /** Refreshes the activity time so a connected session does not expire. */
  synchronized CompletableFuture<Void> touch() {
    record = record.toBuilder().lastActiveMillis(clock.millis()).build();
    return store.put(record);
  }

  @Override
  public synchronized CompletableFuture<Void> commit(Checkpoint checkpoint) {
    if (checkpoint.position() >= record.checkpoint().position()) {
      record = record.withCheckpoint(checkpoint, clock.millis());
    }
    String id = record.id();
    long start = System.nanoTime();
    CompletableFuture<Void> done = store.commit(id, checkpoint);
    done.thenRun(() -> events.checkpointCommitted(id, System.nanoTime() - start));
    return done;
  }

  @Override
  public synchronized byte[] attributes() {
    return record.attributes();
  }

  @Override
  public synchronized CompletableFuture<Void> setAttributes(byte[] attributes) {
    record = record.toBuilder().attributes(attributes).lastActiveMillis(clock.millis()).build();
    return store.put(record);
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
}
