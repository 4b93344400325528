package dev.lifeline.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.InMemoryCheckpointStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SessionSubscriber} over real TLS on loopback: a publisher's items arrive complete and in
 * order while the subscriber asks for each only when the replay buffer has room, and every way
 * the stream can stop fails {@code completion()} once and cancels the upstream.
 */
class SessionSubscriberTest {
  static final long REPLAY_BYTES = 16 * 1024;
  static final int MESSAGES = 10_000;

  @TempDir Path dir;

  /** Receives numbered messages at the server, in order, optionally holding the first one. */
  static final class Receiver implements SessionHandler {
    final Queue<String> errors = new ConcurrentLinkedQueue<>();
    final AtomicLong received = new AtomicLong();
    private final CountDownLatch holdFirst;

    Receiver(CountDownLatch holdFirst) {
      this.holdFirst = holdFirst;
    }

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
      holdFirst.await();
      String mismatch = FlowFixtures.mismatch(received.get() + 1, seq, message);
      if (mismatch != null) {
        errors.add(mismatch);
      }
      received.incrementAndGet();
    }
  }

  @Test
  void submissionPublisherOfTenThousandMessagesArrivesCompleteAndInOrderThroughASmallReplayBuffer()
      throws Exception {
    CountDownLatch holdFirst = new CountDownLatch(1);
    Receiver receiver = new Receiver(holdFirst);
    ExecutorService publisherThread = Executors.newSingleThreadExecutor();
    try (LifelineServer server = FlowFixtures.server(dir, receiver).start();
        LifelineClient client = FlowFixtures.client(dir, server.port())
            .replayBufferBytes(REPLAY_BYTES).build();
        SubmissionPublisher<ByteBuffer> publisher =
            new SubmissionPublisher<>(publisherThread, 256)) {
      CountingSession session = new CountingSession(
          client.open("flow-subscriber", new SessionHandler.SendOnly() {}).get(10, TimeUnit.SECONDS));
      SessionSubscriber sink = SessionSubscriber.of(session);
      DemandProbe probe = new DemandProbe(sink);
      publisher.subscribe(probe);
      // The server holds the first message until the subscriber had to wait for room, so the
      // wait is certain, not a matter of timing.
      Thread release = new Thread(() -> {
        try {
          session.firstWait.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        holdFirst.countDown();
      });
      release.start();
      for (long n = 1; n <= MESSAGES; n++) {
        publisher.submit(FlowFixtures.message(n)); // blocks while the subscriber's 256 are full
      }
      publisher.close();

      sink.completion().get(60, TimeUnit.SECONDS);
      assertEquals(MESSAGES, receiver.received.get(), "all acknowledged means all received");
      assertTrue(receiver.errors.isEmpty(), receiver.errors::toString);
      assertTrue(session.writableWaits.get() > 0, "the replay buffer never filled");
      assertEquals(0, session.refusedSends.get(), "requested an item without room for it");
      assertEquals(1, probe.peakDemand.get(), "more than one item asked for at a time");
      assertTrue(session.isWritable());
    } finally {
      holdFirst.countDown();
      publisherThread.shutdownNow();
    }
  }

  @Test
  void sessionEndingMidStreamFailsTheCompletionOnceAndCancelsTheUpstream() throws Exception {
    Receiver receiver = new Receiver(new CountDownLatch(0));
    try (LifelineServer server = FlowFixtures.server(dir, receiver).start();
        LifelineClient client = FlowFixtures.client(dir, server.port())
            .replayBufferBytes(REPLAY_BYTES).build()) {
      Session session =
          client.open("flow-abort", new SessionHandler.SendOnly() {}).get(10, TimeUnit.SECONDS);
      NumberedPublisher endless = new NumberedPublisher(Long.MAX_VALUE);
      SessionSubscriber sink = SessionSubscriber.of(session);
      endless.subscribe(sink);
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received.get() > 100);

      session.abort();
      ExecutionException failed = assertThrows(ExecutionException.class,
          () -> sink.completion().get(10, TimeUnit.SECONDS));
      assertInstanceOf(LifelineException.class, failed.getCause());
      assertTrue(endless.cancelled.await(10, TimeUnit.SECONDS), "upstream not cancelled");
      long emitted = endless.emitted.get();
      sink.onComplete(); // a late signal changes nothing
      assertTrue(sink.completion().isCompletedExceptionally());
      assertEquals(emitted, endless.emitted.get(), "asked for more after the cancel");
      assertTrue(endless.violations.isEmpty(), endless.violations::toString);
      assertTrue(receiver.errors.isEmpty(), receiver.errors::toString);

      // A subscriber given a session that is already over cancels at once.
      NumberedPublisher late = new NumberedPublisher(10);
      SessionSubscriber lateSink = SessionSubscriber.of(session);
      late.subscribe(lateSink);
      assertTrue(late.cancelled.await(10, TimeUnit.SECONDS), "subscribed to a closed session");
      assertThrows(ExecutionException.class, () -> lateSink.completion().get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void anItemTooLargeToSendFailsTheCompletionAfterTheItemsBeforeItAndCancelsTheUpstream()
      throws Exception {
    Receiver receiver = new Receiver(new CountDownLatch(0));
    try (LifelineServer server = FlowFixtures.server(dir, receiver).start();
        LifelineClient client = FlowFixtures.client(dir, server.port()).build()) {
      Session session =
          client.open("flow-too-large", new SessionHandler.SendOnly() {}).get(10, TimeUnit.SECONDS);
      NumberedPublisher publisher = new NumberedPublisher(1, 1_000, 500);
      SessionSubscriber sink = SessionSubscriber.of(session);
      publisher.subscribe(sink);

      ExecutionException failed = assertThrows(ExecutionException.class,
          () -> sink.completion().get(30, TimeUnit.SECONDS));
      assertInstanceOf(IllegalArgumentException.class, failed.getCause());
      assertTrue(publisher.cancelled.await(10, TimeUnit.SECONDS));
      assertEquals(500, publisher.emitted.get(), "emitted past the failure");
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received.get() == 499);
      assertTrue(receiver.errors.isEmpty(), receiver.errors::toString);

      // A second subscription is refused, as rule 2.5 asks.
      CountDownLatch secondCancelled = new CountDownLatch(1);
      sink.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {
          throw new AssertionError("requested from a second subscription");
        }

        @Override
        public void cancel() {
          secondCancelled.countDown();
        }
      });
      assertEquals(0, secondCancelled.getCount());
      assertTrue(publisher.violations.isEmpty(), publisher.violations::toString);
    }
  }

  /**
   * Room taken by another sender between the request and the send: the item is kept and sent
   * once room comes, and the publisher's completion meanwhile does not end the stream early.
   */
  @Test
  void anItemRefusedForRoomIsHeldAndSentAfterAPublisherThatCompletedMeanwhile() throws Exception {
    Receiver receiver = new Receiver(new CountDownLatch(0));
    int count = 200;
    try (LifelineServer server = FlowFixtures.server(dir, receiver).start();
        LifelineClient client = FlowFixtures.client(dir, server.port()).build()) {
      CountingSession session = new CountingSession(
          client.open("flow-held", new SessionHandler.SendOnly() {}).get(10, TimeUnit.SECONDS));
      session.refuseCall = count; // the last item: the publisher completes right after it
      NumberedPublisher publisher = new NumberedPublisher(count);
      SessionSubscriber sink = SessionSubscriber.of(session);
      publisher.subscribe(sink);

      sink.completion().get(30, TimeUnit.SECONDS);
      assertEquals(count, receiver.received.get(), "completed before the held item's ack");
      assertEquals(1, session.refusedSends.get());
      assertTrue(receiver.errors.isEmpty(), receiver.errors::toString);
      assertTrue(publisher.violations.isEmpty(), publisher.violations::toString);
    }
  }

  /**
   * With a durable outbox a new process continues where the last one handed over: what the old
   * one's subscriber had sent and the peer had not acknowledged goes out from the outbox, and a
   * publisher started at {@code handedOver() + 1} supplies the rest. The peer sees each once.
   */
  @Test
  void withADurableOutboxTheNextProcessContinuesAfterHandedOver() throws Exception {
    InMemoryCheckpointStore clientStore = InMemoryCheckpointStore.builder().build();
    CountDownLatch holdFirst = new CountDownLatch(1);
    Receiver receiver = new Receiver(holdFirst);
    long total = 2_000;
    try (LifelineServer server = FlowFixtures.server(dir, receiver).start()) {
      LifelineClient first = outboxClient(server.port(), clientStore);
      Session dying = first.open("flow-outbox", new SessionHandler.SendOnly() {})
          .get(10, TimeUnit.SECONDS);
      SessionSubscriber firstSink = SessionSubscriber.of(dying);
      new NumberedPublisher(total).subscribe(firstSink);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !dying.isWritable());
      long handedOver = dying.handedOver();
      assertTrue(handedOver > 1 && handedOver < total, "handed over " + handedOver);
      first.close(); // the process "dies": connections dropped, its records and outbox kept
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> firstSink.completion().isCompletedExceptionally());
      holdFirst.countDown();

      try (LifelineClient second = outboxClient(server.port(), clientStore)) {
        Session next = second.open("flow-outbox", new SessionHandler.SendOnly() {})
            .get(10, TimeUnit.SECONDS);
        assertEquals(handedOver, next.handedOver());
        SessionSubscriber sink = SessionSubscriber.of(next);
        new NumberedPublisher(handedOver + 1, total - handedOver, 0).subscribe(sink);
        sink.completion().get(30, TimeUnit.SECONDS);
        Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> receiver.received.get() == total);
        assertTrue(receiver.errors.isEmpty(), receiver.errors::toString);
      }
    } finally {
      holdFirst.countDown();
    }
  }

  private LifelineClient outboxClient(int port, InMemoryCheckpointStore store) throws Exception {
    return FlowFixtures.client(dir, port).store(store).durableOutbox(true)
        .replayBufferBytes(REPLAY_BYTES)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30))
        .build();
  }

  /**
   * Sits between a publisher and a subscriber and records the most items ever requested and not
   * yet delivered.
   */
  static final class DemandProbe implements Flow.Subscriber<ByteBuffer> {
    final AtomicLong peakDemand = new AtomicLong();
    private final AtomicLong demand = new AtomicLong();
    private final Flow.Subscriber<ByteBuffer> target;

    DemandProbe(Flow.Subscriber<ByteBuffer> target) {
      this.target = target;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      target.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {
          peakDemand.accumulateAndGet(demand.addAndGet(n), Math::max);
          subscription.request(n);
        }

        @Override
        public void cancel() {
          subscription.cancel();
        }
      });
    }

    @Override
    public void onNext(ByteBuffer item) {
      demand.decrementAndGet();
      target.onNext(item);
    }

    @Override
    public void onError(Throwable throwable) {
      target.onError(throwable);
    }

    @Override
    public void onComplete() {
      target.onComplete();
    }
  }
}
