package dev.lifeline.internal.session;

import dev.lifeline.store.Checkpoint;
import java.util.concurrent.CompletableFuture;

/**
 * How a {@link SessionCore} reaches its stored record; the client and the server key and encode
 * their records differently.
 */
public interface SessionPersistence {

  /** Stores a checkpoint durably. */
  CompletableFuture<Void> commit(Checkpoint checkpoint);

  /** The application attributes. */
  byte[] attributes();

  /** Replaces the application attributes durably. */
  CompletableFuture<Void> setAttributes(byte[] attributes);

  /** The session ended ({@code forget}: delete its record) or was dropped by this process. */
  void released(SessionCore session, boolean forget);
}
