package dev.lifeline.store;

/**
 * Told about every record a store removed because its time to live passed, after the removal is
 * durable, so the application can remove what belongs to the session (for a file transfer: the
 * partial upload file named in the record's attributes).
 *
 * <p>Runs on a store thread: keep it short and never block on the same store from inside it.
 * An exception it throws is logged and otherwise ignored.
 *
 * <pre>{@code
 * CheckpointStore store = FileCheckpointStore.builder(dir)
 *     .ttl(Duration.ofHours(1))
 *     .expiryListener(record -> uploads.deletePartial(record.attributes()))
 *     .build();
 * }</pre>
 */
@FunctionalInterface
public interface ExpiryListener {

  /** Does nothing. */
  ExpiryListener NONE = record -> { };

  /** The record with its last stored contents; it is no longer in the store. */
  void expired(SessionRecord record);
}
