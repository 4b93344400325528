package dev.lifeline.flow;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Flow;
import java.util.function.BiConsumer;

/**
 * A {@link SessionHandler} that publishes the messages of one session to one {@link
 * Flow.Subscriber}, each only against demand.
 *
 * <p><b>Backpressure.</b> While the subscriber's demand is 0, the session's callback thread waits
 * in {@link #onMessage} for {@code request(n)}. Later messages queue behind it; once they hold the
 * endpoint's {@code inboundQueueBytes}, reading from the connection pauses, TCP flow control
 * stops the peer's writes, and the peer's replay buffer fills until its {@code send} waits (and
 * its {@code trySend} says no): a slow subscriber slows the sender down, and nothing is dropped.
 * The waiting callback holds one thread of the endpoint's application pool ({@code appThreads}),
 * so size that pool for the sessions that may wait at once.
 *
 * <p><b>Acknowledgement.</b> As for any handler: by default a message is acknowledged once {@code
 * onNext} returned for it (which for a subscriber that queues items means once queued, not
 * processed). A subscriber that must not lose messages when its process dies runs on an endpoint
 * built with {@code autoAcknowledge(false)} and calls {@link Session#checkpoint} (on {@link
 * #session()}) once it has made a prefix durable.
 *
 * <p><b>Cancel ends the session.</b> {@code cancel()} closes the session ({@link
 * Session#close(Duration)}, waiting up to {@link #CLOSE_TIMEOUT} for this side's own messages to
 * be acknowledged): the consumer of the stream has gone, and a session whose messages are
 * acknowledged unseen would tell the sender they were processed. A message that reaches this
 * handler after the cancel is not delivered and not acknowledged: the handler throws {@link
 * CancellationException}, which ends the session with {@code APPLICATION_ERROR} if the close has
 * not ended it first, so the peer's sends of such messages fail rather than succeed.
 *
 * <p><b>The end.</b> When the session ends normally the subscriber gets {@code onComplete}; when
 * it ends otherwise (aborted, refused, failed) {@code onError} with the cause, once, after every
 * message delivered before. A session that ended before anyone subscribed is signalled to the
 * subscriber at once. A {@code request(n)} with {@code n <= 0} is answered with {@code onError}
 * ({@link IllegalArgumentException}) and ends the session as a cancel does.
 *
 * <p>One publisher serves one session and one subscriber: give it to {@code LifelineClient.open};
 * on a server, where one handler serves every session, use {@link #perSession}. A callback of a
 * second session fails with {@link IllegalStateException} (ending that session); a second
 * subscriber gets {@code onError} with one. Messages that arrive before the subscriber subscribes
 * wait for it.
 *
 * <p>The wait for demand also ends when the session ends from outside this process (the peer
 * closed it, or {@link Session#abort()}, or a client endpoint's close). It does not end for a
 * {@link Session#close(Duration)} this process makes itself while the subscriber has no demand,
 * which completes only once the waiting callback returns (callbacks run one at a time), nor for
 * a server endpoint's close, which keeps its sessions for a resume elsewhere: a subscriber that
 * stops for good cancels, so the thread it holds is freed.
 *
 * <pre>{@code
 * SessionPublisher inbox = new SessionPublisher();
 * Session session = client.open("orders", inbox).get();
 * inbox.subscribe(new Flow.Subscriber<>() {
 *   Flow.Subscription subscription;
 *   public void onSubscribe(Flow.Subscription s) { subscription = s; s.request(16); }
 *   public void onNext(ReceivedMessage m) { process(m.payload()); subscription.request(1); }
 *   public void onError(Throwable t) { log.warn("session failed", t); }
 *   public void onComplete() { log.info("session closed"); }
 * });
 * }</pre>
 */
public final class SessionPublisher implements Flow.Publisher<ReceivedMessage>, SessionHandler {
  /** How long a cancel's close waits for this side's own messages to be acknowledged. */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  // All fields guarded by this; the callback thread waits on it for demand.
  private Flow.Subscriber<? super ReceivedMessage> subscriber;
  // onSubscribe has returned: before that no other signal may reach the subscriber.
  private boolean subscribed;
  private long demand;
  private boolean cancelled;
  // The reason given to the subscriber instead of the session's end (an invalid request).
  private Throwable misuse;
  private Session session;
  private boolean ended;
  private Throwable endCause;
  private boolean endSignalled;

  /** A publisher waiting for its session and its subscriber, in either order. */
  public SessionPublisher() {}

  /**
   * A server's handler that gives each session a publisher of its own: {@code subscribe} is
   * called with both at the session's first callback (before its first message), on the
   * session's callback thread, and subscribes to the publisher. The session's end is signalled
   * to that subscriber and the publisher forgotten.
   *
   * <pre>{@code
   * LifelineServer server = LifelineServer.builder()
   *     .tls(tls)
   *     .handler(SessionPublisher.perSession((session, inbox) ->
   *         JdkFlowAdapter.flowPublisherToFlux(inbox)
   *             .concatMap(m -> store.append(session.id(), m.payload()))
   *             .subscribe()))
   *     .start();
   * }</pre>
   */
  public static SessionHandler perSession(BiConsumer<Session, SessionPublisher> subscribe) {
    return new PerSessionPublishers(Objects.requireNonNull(subscribe, "subscribe"));
  }

  /** The session this publisher serves, or {@code null} before its first callback. */
  public synchronized Session session() {
    return session;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super ReceivedMessage> s) {
    Objects.requireNonNull(s, "subscriber");
    boolean first;
    synchronized (this) {
      first = subscriber == null;
      if (first) {
        subscriber = s;
      }
    }
    if (!first) {
      s.onSubscribe(new Refused());
      s.onError(new IllegalStateException(
          "SessionPublisher: already subscribed (expected: one subscriber per session)"));
      return;
    }
    s.onSubscribe(new Demand());
    boolean signalEnd;
    synchronized (this) {
      subscribed = true;
      notifyAll();
      // Ended while onSubscribe ran, or before: the end callback left the signal to us.
      signalEnd = takeEndSignalLocked();
    }
    if (signalEnd) {
      signalEnd(s);
    }
  }

  @Override
  public void onOpen(Session session) {
    bind(session);
  }

  /** Waits for demand, then delivers a copy of the message; see the class description. */
  @Override
  public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
    bind(session);
    ReceivedMessage received = new ReceivedMessage(seq, copyOf(message));
    Flow.Subscriber<? super ReceivedMessage> s;
    synchronized (this) {
      while (!cancelled && !(subscribed && demand > 0) && !session.closeFuture().isDone()) {
        wait(); // woken by request, cancel, subscribe and the session's end
      }
      if (cancelled) {
        throw new CancellationException("the subscriber of session " + session.id()
            + " cancelled; message " + seq + " was not delivered");
      }
      if (!(subscribed && demand > 0)) {
        return; // the session ended while it waited: nobody receives it, nothing acknowledges
      }
      demand--;
      s = subscriber;
    }
    s.onNext(received);
  }

  @Override
  public void onClosed(Session session, Throwable cause) {
    Flow.Subscriber<? super ReceivedMessage> s;
    synchronized (this) {
      if (this.session != null && this.session != session) {
        return; // a second session, already refused
      }
      ended = true;
      endCause = cause;
      notifyAll();
      if (!subscribed) {
        return; // subscribe signals it after onSubscribe
      }
      if (!takeEndSignalLocked()) {
        return;
      }
      s = subscriber;
    }
    signalEnd(s);
  }

  /** Whether the end is due to the subscriber now; if so it is taken, so it goes once. */
  private boolean takeEndSignalLocked() {
    if (endSignalled || !(ended || misuse != null) || (cancelled && misuse == null)) {
      return false;
    }
    endSignalled = true;
    return true;
  }

  private void signalEnd(Flow.Subscriber<? super ReceivedMessage> s) {
    Throwable cause;
    synchronized (this) {
      cause = misuse != null ? misuse : endCause;
    }
    if (cause == null) {
      s.onComplete();
    } else {
      s.onError(cause);
    }
  }

  /** Ties this publisher to its one session on the session's first callback. */
  private void bind(Session session) {
    boolean closeNow;
    synchronized (this) {
      if (this.session == session) {
        return;
      }
      if (this.session != null) {
        throw new IllegalStateException("SessionPublisher: serves session " + this.session.id()
            + " (expected: one session per publisher), got a callback of " + session.id());
      }
      this.session = session;
      closeNow = cancelled;
    }
    // A thread waiting for demand must notice the session's end, which no callback can bring
    // while it waits (callbacks run one at a time).
    session.closeFuture().whenComplete((ok, error) -> wakeWaiters());
    if (closeNow) {
      session.close(CLOSE_TIMEOUT);
    }
  }

  private synchronized void wakeWaiters() {
    notifyAll();
  }

  /** Stops delivery and closes the session (if there is one yet); once. */
  private void stop(Throwable reason) {
    Session toClose;
    Flow.Subscriber<? super ReceivedMessage> signalNow = null;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      misuse = reason;
      notifyAll();
      toClose = session;
      // Without a session no message was ever delivered, so no onNext can overlap this signal.
      if (toClose == null && subscribed && takeEndSignalLocked()) {
        signalNow = subscriber;
      }
    }
    if (toClose != null) {
      toClose.close(CLOSE_TIMEOUT);
    }
    if (signalNow != null) {
      signalEnd(signalNow);
    }
  }

  private static ByteBuffer copyOf(ByteBuffer message) {
    ByteBuffer copy = ByteBuffer.allocate(message.remaining());
    copy.put(message.duplicate());
    return copy.flip();
  }

  /** The subscription of the one subscriber. */
  private final class Demand implements Flow.Subscription {
    @Override
    public void request(long n) {
      if (n <= 0) {
        stop(new IllegalArgumentException(
            "request: " + n + " (expected: > 0, Reactive Streams rule 3.9)"));
        return;
      }
      synchronized (SessionPublisher.this) {
        demand = UpstreamSubscription.cappedSum(demand, n);
        SessionPublisher.this.notifyAll();
      }
    }

    @Override
    public void cancel() {
      stop(null);
    }
  }

  /** The subscription given to a second subscriber, just before its {@code onError}. */
  private static final class Refused implements Flow.Subscription {
    @Override
    public void request(long n) {}

    @Override
    public void cancel() {}
  }
}
