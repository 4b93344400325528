package dev.lifeline.store;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where a Lifeline endpoint keeps its sessions so they outlive the process: one {@link
 * SessionRecord} per session, holding the last durable {@link Checkpoint} of the stream it
 * receives.
 *
 * <p>Rules every implementation keeps (the contract test suite {@code CheckpointStoreContract}
 * checks them):
 *
 * <ul>
 *   <li>A returned future completes only when the change is durable under the store's durability
 *       setting: for the file store, after the data reached the disk with fsync. A caller
 *       acknowledges a checkpoint to its peer only after that.
 *   <li>Checkpoints only move forward: {@link #commit} with a position lower than the stored one
 *       fails with {@link IllegalArgumentException}; an equal position replaces the state.
 *   <li>Records expire {@code ttl} after their {@link SessionRecord#lastActiveMillis()}; {@link
 *       #sweepExpired()} removes them and reports their ids so partial data can be removed too.
 *   <li>Failures surface as a failed future carrying a {@link StoreException} naming the file or
 *       server; a corrupt or locked store is never silently replaced by an empty one.
 *   <li>All methods are thread-safe. Many concurrent commits may share one sync (group commit).
 * </ul>
 *
 * <pre>{@code
 * try (CheckpointStore store = FileCheckpointStore.open(dir)) {
 *   store.put(record).join();
 *   store.commit(record.id(), Checkpoint.of(42, state)).join(); // now acknowledge seq 42
 * }
 * }</pre>
 */
public interface CheckpointStore extends AutoCloseable {

  /** Creates or replaces a whole record, durably. */
  CompletableFuture<Void> put(SessionRecord record);

  /**
   * Stores a new checkpoint for an existing session and marks it active, durably.
   *
   * <p>Fails with {@link UnknownSessionException} if there is no such record, and with {@link
   * IllegalArgumentException} if the checkpoint is older than the stored one.
   */
  CompletableFuture<Void> commit(String id, Checkpoint checkpoint);

  /** The record with this id, or empty if there is none or it has expired. */
  CompletableFuture<Optional<SessionRecord>> load(String id);

  /** Removes a record, durably; removing an absent record succeeds. */
  CompletableFuture<Void> delete(String id);

  /** The ids of all live records, in no particular order. */
  CompletableFuture<List<String>> ids();

  /** Removes every record whose time to live has passed and returns their ids. */
  CompletableFuture<List<String>> sweepExpired();

  /**
   * Stores {@code record} and takes the session for this process: from now on writes to it from
   * any other process that had taken it before fail with {@link SessionTakenException}, so two
   * server nodes never write the same session at once. A server calls it when a session resumes
   * on it after being loaded from the store.
   *
   * <p>The default, for a store only one process uses, is {@link #put}.
   */
  default CompletableFuture<Void> claim(SessionRecord record) {
    return put(record);
  }

  /**
   * Whether several processes use this store at once (server nodes behind a load balancer), so a
   * session may move to another process at any time. A server then reads a session from the store
   * on every resume instead of trusting its own copy. Default {@code false}.
   */
  default boolean isShared() {
    return false;
  }

  /**
   * Whether {@link #openOutbox} works with this store (the file and in-memory stores: yes).
   * Default {@code false}.
   */
  default boolean supportsOutbox() {
    return false;
  }

  /**
   * Opens, creating it if absent, the durable outbox kept under {@code key} (see {@link Outbox}).
   * One process opens a key's outbox once at a time.
   *
   * @throws StoreException if it cannot be read (a corrupt file is an error naming it, never
   *     silently emptied)
   * @throws UnsupportedOperationException if {@link #supportsOutbox()} is false
   */
  default Outbox openOutbox(String key) throws StoreException {
    throw new UnsupportedOperationException(this + " keeps no outbox; use FileCheckpointStore");
  }

  /**
   * Removes the outbox kept under {@code key}, if there is one and it is not open: the session
   * it belonged to expired without coming back. The default (a store without outboxes) does
   * nothing.
   */
  default void deleteOutbox(String key) throws StoreException {}

  /** Flushes pending work and releases files, locks and connections. Idempotent. */
  @Override
  void close();
}
