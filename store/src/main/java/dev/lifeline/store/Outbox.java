package dev.lifeline.store;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * The durable outbox of one sender: the messages it has handed to a session and the peer has not
 * yet durably acknowledged, in sequence order, so that a process that restarts sends them again
 * without the application rebuilding them (MQTT client persistence and QuickFIX/J's message store
 * do the same). A session keeps its outbox under its resume key (the client) or its session id
 * (the server); {@link CheckpointStore#openOutbox} opens it.
 *
 * <p>Rules every implementation keeps:
 *
 * <ul>
 *   <li>{@link #append} numbers are contiguous: each is {@link #lastSeq()} {@code + 1}. The
 *       returned future completes only once the message is durable under the store's durability
 *       setting (the file store: written with a CRC and fsync'd; many appends share one sync), in
 *       append order. A message whose future did not complete may be lost by a crash, and then so
 *       are all after it: what {@link #read} returns after a restart is always a gap-free prefix of
 *       what was appended, never a half-written message.
 *   <li>{@link #trim} drops messages the peer has durably acknowledged; it need not be durable at
 *       once (a trimmed message read back after a crash is simply sent again and dropped by the
 *       peer as a duplicate).
 *   <li>A failed write (a full disk) fails that append's future and every later one with a {@link
 *       StoreException} that says what happened; the outbox then refuses appends until reopened.
 *       Nothing partly written is ever returned by {@link #read}.
 *   <li>Thread-safe; {@link #append} never blocks on the disk (the caller bounds the bytes it
 *       holds, as the session's replay buffer does).
 * </ul>
 */
public interface Outbox extends AutoCloseable {

  /** Receives the stored messages, in order. */
  @FunctionalInterface
  interface Reader {
    /** One stored message; {@code message} is valid only during the call. */
    void message(long seq, ByteBuffer message) throws StoreException;
  }

  /**
   * A random 16-byte identity of this outbox, created with it and stable across restarts: the
   * sender's producer identity, with which a peer recognises messages it already stored in an
   * earlier session.
   */
  byte[] producerId();

  /** The sequence of the last message appended (durable or not yet), or 0 if none ever was. */
  long lastSeq();

  /** The first sequence not trimmed; {@link #lastSeq()} {@code + 1} when the outbox is empty. */
  long firstSeq();

  /** Bytes of the messages held (appended and not trimmed). */
  long bytes();

  /**
   * Appends a message numbered {@code seq}; the bytes between {@code message}'s position and
   * limit are copied before this returns.
   *
   * @return completes once the message is durable; fails with {@link StoreException} if it could
   *     not be written (the outbox is then broken, see the class rules)
   * @throws IllegalArgumentException if {@code seq} is not {@link #lastSeq()} {@code + 1}
   */
  CompletableFuture<Void> append(long seq, ByteBuffer message);

  /** The peer durably holds every message up to and including {@code seq}: forget them. */
  void trim(long seq);

  /**
   * Drops every message held and continues numbering at {@code nextSeq} (the stream was rewound
   * to the peer's checkpoint, or a new session starts): the next append is {@code nextSeq}.
   * Durable when the returned future completes; appends after it are ordered after it.
   */
  CompletableFuture<Void> reset(long nextSeq);

  /** Calls {@code reader} for every message held (durable ones only), in sequence order. */
  void read(Reader reader) throws StoreException;

  /** Removes the outbox and its files (the session ended); closes it. */
  void delete() throws StoreException;

  /** Writes what is pending and releases the files. Idempotent. */
  @Override
  void close();
}
