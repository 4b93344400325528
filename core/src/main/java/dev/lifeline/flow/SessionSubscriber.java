package dev.lifeline.flow;

import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;

/**
 * A {@link Flow.Subscriber} that sends each item as one message on a {@link Session}, asking
 * the publisher for the next item only while the session's replay buffer has room for it.
 *
 * <p><b>Backpressure.</b> It requests one item at a time, and only while {@link
 * Session#isWritable()} says a message of the maximum size fits: so the messages it has sent and
 * the peer has not acknowledged never exceed the replay buffer, and a slow or absent peer slows
 * the publisher down instead of filling memory. It never blocks the publisher's thread: an item
 * goes out with {@link Session#trySend(ByteBuffer)}; when the buffer is full it waits for {@link
 * Session#onWritable} without a thread and then requests again (and if another sender on the same
 * session took the room meanwhile, it keeps that one item until room comes back).
 *
 * <p><b>Buffer ownership.</b> Items are not copied: each item's bytes (between its position and
 * limit) belong to the session from {@code onNext} until the peer has acknowledged the message,
 * as for {@link Session#send(ByteBuffer)}. A publisher that reuses buffers must copy before
 * publishing; one that allocates per item (the usual case) needs to do nothing.
 *
 * <p><b>Completion.</b> {@link #completion()} completes once the publisher has completed and the
 * peer has acknowledged every message sent. It fails, and the upstream subscription is
 * cancelled, on the first of: a failed send (a {@link dev.lifeline.StreamRewoundException}, an
 * item larger than {@link Session#maxMessageSize()}, a closed session), the session ending before
 * the stream did, or the publisher's {@code onError} (with its error). Messages already sent stay
 * with the session either way. The future completes on a session thread (possibly a network
 * I/O thread): chain blocking work with an {@code ...Async} method.
 *
 * <p><b>After a restart.</b> On a session with a durable outbox (the endpoint's {@code
 * durableOutbox(true)}) a message counts as sent once the outbox holds it, and a new process that
 * opens the session again (same key, same store) sends what the peer had not acknowledged by
 * itself. Its publisher starts after {@link Session#handedOver()}: the first item it publishes is
 * message {@code handedOver() + 1}. The new subscriber's completion covers only what it sent.
 *
 * <p>A subscriber serves one subscription: a second {@code onSubscribe} is cancelled, as the
 * Reactive Streams rules ask. The session's callback thread runs its {@code onWritable} waits,
 * so a handler of the same session that blocks (a {@link SessionPublisher} waiting for demand)
 * holds this subscriber back until it returns.
 *
 * <pre>{@code
 * Session session = client.open("telemetry", new SessionHandler.SendOnly() {}).get();
 * try (SubmissionPublisher<ByteBuffer> records = new SubmissionPublisher<>()) {
 *   SessionSubscriber sink = SessionSubscriber.of(session);
 *   records.subscribe(sink);
 *   for (byte[] record : batch) {
 *     records.submit(ByteBuffer.wrap(record));
 *   }
 *   records.close();
 *   sink.completion().get(); // all acknowledged by the server
 * }
 * }</pre>
 */
public final class SessionSubscriber implements Flow.Subscriber<ByteBuffer> {

  /** Forward only. */
  private enum State {
    /** Waiting for {@code onSubscribe}. */
    NEW,
    /** Sending, and asking for more. */
    RUNNING,
    /** The publisher completed; the last messages wait to be sent or acknowledged. */
    UPSTREAM_DONE,
    /** {@link #completion} is done, one way or the other; later signals are ignored. */
    FINISHED
  }

  private final Session session;
  private final CompletableFuture<Void> completion = new CompletableFuture<>();
  // Set once in onSubscribe, before anything reads it.
  private volatile UpstreamSubscription upstream;
  // Guarded by this.
  private State state = State.NEW;
  // An item the replay buffer had no room for, sent first once room comes; guarded by this.
  private ByteBuffer held;
  // Items taken in and not yet acknowledged by the peer (a held one too), counted from onNext
  // on, so an onComplete that races a held item's send cannot finish the stream before it;
  // guarded by this.
  private long unfinished;

  private SessionSubscriber(Session session) {
    this.session = Objects.requireNonNull(session, "session");
  }

  /** A subscriber that sends on {@code session}; subscribe it to one publisher. */
  public static SessionSubscriber of(Session session) {
    return new SessionSubscriber(session);
  }

  /**
   * Completes once the publisher completed and every message sent was acknowledged by the peer;
   * fails with the reason the stream stopped otherwise (see the class description).
   */
  public CompletableFuture<Void> completion() {
    return completion;
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    Objects.requireNonNull(subscription, "subscription");
    synchronized (this) {
      if (state != State.NEW) {
        subscription.cancel();
        return;
      }
      state = State.RUNNING;
      upstream = new UpstreamSubscription(subscription);
    }
    // Runs at once if the session is already over, which cancels what was just accepted.
    session.closeFuture().whenComplete((ok, error) -> fail(error != null ? unwrap(error)
        : new LifelineException(
            "session " + session.id() + " closed before the stream completed")));
    requestWhenWritable();
  }

  @Override
  public void onNext(ByteBuffer item) {
    Objects.requireNonNull(item, "item");
    synchronized (this) {
      if (state != State.RUNNING) {
        return; // arrived after a cancel: the rules allow it, and nothing more is sent
      }
      unfinished++;
    }
    offer(item);
  }

  @Override
  public void onError(Throwable error) {
    Objects.requireNonNull(error, "error");
    upstreamTerminated();
    fail(error);
  }

  @Override
  public void onComplete() {
    upstreamTerminated();
    synchronized (this) {
      if (state != State.RUNNING) {
        return;
      }
      state = State.UPSTREAM_DONE;
    }
    finishIfDone();
  }

  private void upstreamTerminated() {
    UpstreamSubscription current = upstream;
    if (current != null) {
      current.terminated();
    }
  }

  /** Sends {@code item} (counted in {@code unfinished}) now, or holds it until there is room. */
  private void offer(ByteBuffer item) {
    CompletableFuture<Void> acked;
    try {
      acked = session.trySend(item);
    } catch (LifelineException | RuntimeException e) {
      fail(e);
      return;
    }
    if (acked == null) {
      // Another sender on this session took the room since the request: keep the item.
      synchronized (this) {
        held = item;
      }
      session.onWritable(this::sendHeld);
      return;
    }
    acked.whenComplete((ok, error) -> acknowledged(error));
    requestWhenWritable();
  }

  private void sendHeld() {
    ByteBuffer item;
    synchronized (this) {
      item = held;
      held = null;
      if (item == null || state == State.FINISHED) {
        return;
      }
    }
    offer(item);
  }

  /**
   * Asks for the next item if a message of the maximum size fits; otherwise once it does. An
   * {@code onWritable} task also runs when the session has closed: the item it brings then
   * fails to send, which ends the stream, so the wait never spins.
   */
  private void requestWhenWritable() {
    synchronized (this) {
      if (state != State.RUNNING) {
        return;
      }
    }
    if (session.isWritable()) {
      upstream.request(1);
    } else {
      session.onWritable(this::requestAfterWait);
    }
  }

  private void requestAfterWait() {
    synchronized (this) {
      if (state != State.RUNNING) {
        return;
      }
    }
    upstream.request(1);
  }

  private void acknowledged(Throwable error) {
    if (error != null) {
      fail(unwrap(error));
      return;
    }
    synchronized (this) {
      unfinished--;
    }
    finishIfDone();
  }

  private void finishIfDone() {
    synchronized (this) {
      if (state != State.UPSTREAM_DONE || unfinished > 0) {
        return;
      }
      state = State.FINISHED;
    }
    completion.complete(null);
  }

  /** Ends the stream with {@code cause}, once: cancels the upstream and fails the completion. */
  private void fail(Throwable cause) {
    UpstreamSubscription toCancel;
    synchronized (this) {
      if (state == State.FINISHED) {
        return;
      }
      state = State.FINISHED;
      held = null;
      toCancel = upstream;
    }
    if (toCancel != null) {
      toCancel.cancel();
    }
    completion.completeExceptionally(cause);
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
  }
}
