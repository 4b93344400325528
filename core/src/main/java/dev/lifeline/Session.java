package dev.lifeline;

import dev.lifeline.store.Checkpoint;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One resumable conversation between a client and a server. It outlives the TCP and TLS
 * connections under it: when one breaks the client reconnects and resumes, and the application
 * sees neither a lost nor a duplicated message.
 *
 * <p>Each direction is an ordered stream of messages numbered from 1. Sending keeps a message in a
 * replay buffer bounded in bytes until the peer acknowledges it; when the buffer is full, {@link
 * #send} waits and {@link #trySend} returns {@code null}. Received messages reach the {@link
 * SessionHandler} once each, in order.
 *
 * <p>By default a received message is acknowledged as soon as the handler returns. A receiver
 * that must survive its own restart declares auto-acknowledgement off ({@link
 * SessionHandler#autoAcknowledge} returns false, for new and restored sessions alike) and calls
 * {@link #checkpoint} once it has durably processed a prefix of the stream; the checkpoint is
 * stored in the {@code CheckpointStore}, then acknowledged. After a restart of either side the
 * stream rewinds to the receiver's last checkpoint: the receiver's handler gets {@link
 * SessionHandler#onInboundRewind} and the sender's next {@code send} throws {@link
 * StreamRewoundException}.
 *
 * <pre>{@code
 * Session session = client.open("upload:report.pdf", handler).get();
 * session.send("hello".getBytes(UTF_8)).get(); // acknowledged by the server
 * session.close().get();
 * }</pre>
 */
public interface Session {

  /** The id the server issued; stable across reconnects and restarts. */
  String id();

  /**
   * Sends one message, waiting while the replay buffer is full.
   *
   * <p>The array belongs to the session until the returned future completes: do not modify it.
   *
   * @return completes when the peer has acknowledged the message; fails with {@link
   *     StreamRewoundException} if the stream was rewound before that
   * @throws StreamRewoundException once after a rewind; continue from its checkpoint
   * @throws IllegalArgumentException if the message is larger than {@link #maxMessageSize()}
   * @throws IllegalStateException if called on the session's I/O thread while the buffer is full
   * @throws LifelineException if the session is closed
   */
  CompletableFuture<Void> send(byte[] message) throws InterruptedException, LifelineException;

  /**
   * Sends one message if the replay buffer has room for it.
   *
   * @return as {@link #send}, or {@code null} if the buffer is full (see {@link #onWritable})
   */
  CompletableFuture<Void> trySend(byte[] message) throws LifelineException;

  /**
   * Sends the bytes between {@code message}'s position and limit as one message, waiting while
   * the replay buffer is full; otherwise as {@link #send(byte[])}.
   *
   * <p>The buffer's content belongs to the session until the returned future completes (either
   * way): do not modify it before. The session does not copy it, so a direct buffer goes to the
   * network without being copied to the heap and back; a sender can reuse such buffers once
   * their futures complete. Position and limit are not changed.
   */
  default CompletableFuture<Void> send(ByteBuffer message)
      throws InterruptedException, LifelineException {
    return send(copyOf(message));
  }

  /**
   * Sends the bytes between {@code message}'s position and limit if the replay buffer has room;
   * otherwise as {@link #trySend(byte[])}. Ownership as for {@link #send(ByteBuffer)}.
   *
   * @return as {@link #send(ByteBuffer)}, or {@code null} if the buffer is full
   */
  default CompletableFuture<Void> trySend(ByteBuffer message) throws LifelineException {
    return trySend(copyOf(message));
  }

  private static byte[] copyOf(ByteBuffer message) {
    byte[] copy = new byte[message.remaining()];
    message.duplicate().get(copy);
    return copy;
  }

  /**
   * The sequence of the last message handed over to this session for sending: where the
   * application continues from ({@code handedOver() + 1} is the next message's sequence). After a
   * restart with a durable outbox it is the last message the outbox made durable (the library
   * sends every one the peer has not acknowledged); without one, once {@link
   * LifelineClient#open} completed, the peer's last durable checkpoint of this stream. Asking
   * counts as having learnt of a rewind: the next {@link #send} does not throw {@link
   * StreamRewoundException} for one that happened before.
   */
  long handedOver();

  /** Whether a message of {@link #maxMessageSize()} would fit the replay buffer now. */
  boolean isWritable();

  /** Runs {@code task} once, as soon as the replay buffer has room again (or now if it has). */
  void onWritable(Runnable task);

  /** The largest message {@link #send} accepts. */
  int maxMessageSize();

  /**
   * Changes, for this session in this process, whether received messages are acknowledged as soon
   * as the handler returns ({@code true}) or only through {@link #checkpoint} ({@code false}). A
   * session starts with {@link SessionHandler#autoAcknowledge}.
   *
   * <p>The change is not stored: a session restored after a restart starts again from {@link
   * SessionHandler#autoAcknowledge}. A handler whose sessions are all durable receivers declares
   * it there. One that decides per session (for example from the first message) calls this again
   * in {@link SessionHandler#onInboundRewind}, which is the first callback of a restored session
   * and runs before any message after its checkpoint is delivered or acknowledged.
   */
  void setAutoAck(boolean autoAck);

  /**
   * Records that every received message up to and including {@code position} has been durably
   * processed, with {@code state} describing it. The checkpoint is stored durably, then
   * acknowledged to the peer, then the future completes.
   *
   * @throws IllegalArgumentException if {@code position} is beyond the last delivered message or
   *     before the last checkpoint, or the state is larger than {@link Checkpoint#MAX_STATE_BYTES}
   */
  CompletableFuture<Void> checkpoint(long position, byte[] state);

  /** The last checkpoint of the received stream that is durable. */
  Checkpoint lastCheckpoint();

  /** Small opaque application data stored with the session record (at most 16 KiB). */
  byte[] attributes();

  /** Replaces the attributes and stores them durably. */
  CompletableFuture<Void> setAttributes(byte[] attributes);

  /** Whether a connection is up and the session is resumed on it. */
  boolean isConnected();

  /**
   * Runs {@code task} on the thread that runs this session's {@link SessionHandler} callbacks,
   * after the callbacks already queued: state the handler owns can be touched there without locks.
   */
  void runInOrder(Runnable task);

  /** Counters for this session: reconnects, bytes sent again, TLS handshakes. */
  SessionStats stats();

  /**
   * Ends the session: waits until everything sent is acknowledged (up to {@code timeout}), tells
   * the peer, and forgets the session on both sides. The returned future completes once the peer
   * has closed the connection after reading that (at most 2 s after telling it), so a process
   * may exit as soon as it completes.
   */
  CompletableFuture<Void> close(Duration timeout);

  /** Drops the connection and the session at once without telling the peer it ended. */
  void abort();

  /** Completes when the session is over: normally, or exceptionally with the reason. */
  CompletableFuture<Void> closeFuture();
}
