package dev.lifeline.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SessionPublisher} over real TLS on loopback: messages reach the subscriber only against
 * demand, a subscriber with no demand slows the sending peer down, cancel ends the session, and
 * the session's end is signalled once.
 */
class SessionPublisherTest {
  static final long REPLAY_BYTES = 16 * 1024;

  @TempDir Path dir;

  /** Records what a subscriber receives; requests as the test says. */
  static class Recorder implements Flow.Subscriber<ReceivedMessage> {
    final BlockingQueue<ReceivedMessage> items = new LinkedBlockingQueue<>();
    final AtomicInteger completes = new AtomicInteger();
    final AtomicInteger errors = new AtomicInteger();
    final CountDownLatch ended = new CountDownLatch(1);
    volatile Throwable error;
    volatile Flow.Subscription subscription;
    private final long initialRequest;
    private final boolean requestAfterEach;
    private final int cancelAfter;
    private int received;

    Recorder(long initialRequest, boolean requestAfterEach, int cancelAfter) {
      this.initialRequest = initialRequest;
      this.requestAfterEach = requestAfterEach;
      this.cancelAfter = cancelAfter;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (initialRequest > 0) {
        s.request(initialRequest);
      }
    }

    @Override
    public void onNext(ReceivedMessage item) {
      items.add(item);
      received++;
      if (received == cancelAfter) {
        subscription.cancel();
      } else if (requestAfterEach) {
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable t) {
      error = t;
      errors.incrementAndGet();
      ended.countDown();
    }

    @Override
    public void onComplete() {
      completes.incrementAndGet();
      ended.countDown();
    }

    /** Takes the next message, which must be message {@code n}. */
    void expect(long n) throws InterruptedException {
      ReceivedMessage m = items.poll(10, TimeUnit.SECONDS);
      assertNotNull(m, "message " + n + " never came");
      assertNull(FlowFixtures.mismatch(n, m.seq(), m.payload()));
    }
  }

  /** Waits until every callback queued for {@code session} so far (its onClosed too) has run. */
  static void awaitCallbacks(Session session) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    session.runInOrder(done::countDown);
    assertTrue(done.await(10, TimeUnit.SECONDS), "the session's callbacks never drained");
  }

  @Test
  void aSubscriberRequestingOneAtATimeGetsEverythingInOrderAndThrottlesTheSender()
      throws Exception {
    SessionPublisher inbox = new SessionPublisher();
    Recorder slow = new Recorder(1, false, 0);
    inbox.subscribe(slow);
    int count = 2_000;
    try (LifelineServer server = FlowFixtures.server(dir, inbox).inboundQueueBytes(4096).start();
        LifelineClient client = FlowFixtures.client(dir, server.port())
            .replayBufferBytes(REPLAY_BYTES).build()) {
      Session session =
          client.open("flow-slow-reader", new SessionHandler.SendOnly() {}).get(10, TimeUnit.SECONDS);
      NumberedPublisher source = new NumberedPublisher(count);
      SessionSubscriber sink = SessionSubscriber.of(session);
      source.subscribe(sink);

      slow.expect(1);
      // No demand: the server's callback waits, nothing is acknowledged, the sender's replay
      // buffer fills and its subscriber stops asking the source for more.
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !session.isWritable());
      long emittedWhileStalled = source.emitted.get();
      assertTrue(emittedWhileStalled < count, "the source was not slowed down");
      assertTrue(slow.items.isEmpty(), "delivered without demand");

      for (long n = 2; n <= count; n++) {
        slow.subscription.request(1);
        slow.expect(n);
      }
      sink.completion().get(30, TimeUnit.SECONDS);
      assertTrue(source.violations.isEmpty(), source.violations::toString);

      session.close(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      assertTrue(slow.ended.await(10, TimeUnit.SECONDS), "the session's end was not signalled");
      assertEquals(1, slow.completes.get());
      assertEquals(0, slow.errors.get());
      assertTrue(slow.items.isEmpty());
    }
  }

  @Test
  void cancelClosesTheSessionAndDeliversNothingMore() throws Exception {
    SessionPublisher inbox = new SessionPublisher();
    Recorder quitter = new Recorder(1, true, 5);
    inbox.subscribe(quitter);
    try (LifelineServer server = FlowFixtures.server(dir, inbox).start();
        LifelineClient client = FlowFixtures.client(dir, server.port())
            .replayBufferBytes(REPLAY_BYTES).build()) {
      Session session =
          client.open("flow-cancel", new SessionHandler.SendOnly() {}).get(10, TimeUnit.SECONDS);
      SessionSubscriber sink = SessionSubscriber.of(session);
      new NumberedPublisher(1_000).subscribe(sink);

      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> session.closeFuture().isDone());
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> sink.completion().isCompletedExceptionally());
      Session atServer = inbox.session();
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> atServer.closeFuture().isDone());
      awaitCallbacks(atServer);
      assertEquals(5, quitter.items.size(), "delivered after the cancel");
      for (long n = 1; n <= 5; n++) {
        quitter.expect(n);
      }
      assertEquals(0, quitter.completes.get() + quitter.errors.get(), "signalled after cancel");
    }
  }

  @Test
  void theSessionEndingMidStreamSignalsOnErrorOnce() throws Exception {
    SessionHandler sender = new SessionHandler.SendOnly() {
      @Override
      public void onOpen(Session session) {
        new NumberedPublisher(Long.MAX_VALUE).subscribe(SessionSubscriber.of(session));
      }
    };
    SessionPublisher inbox = new SessionPublisher();
    Recorder unbounded = new Recorder(Long.MAX_VALUE, false, 0);
    inbox.subscribe(unbounded);
    try (LifelineServer server = FlowFixtures.server(dir, sender).start();
        LifelineClient client = FlowFixtures.client(dir, server.port()).build()) {
      Session session = client.open("flow-abort", inbox).get(10, TimeUnit.SECONDS);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> unbounded.items.size() >= 50);

      session.abort();
      assertTrue(unbounded.ended.await(10, TimeUnit.SECONDS), "no signal of the end");
      awaitCallbacks(session);
      assertEquals(1, unbounded.errors.get());
      assertEquals(0, unbounded.completes.get());
      assertInstanceOf(LifelineException.class, unbounded.error);
      for (long n = 1; !unbounded.items.isEmpty(); n++) {
        unbounded.expect(n);
      }
    }
  }

  @Test
  void thePeerClosingAfterItsLastMessageCompletesTheSubscriberOnce() throws Exception {
    int count = 500;
    SessionHandler sender = new SessionHandler.SendOnly() {
      @Override
      public void onOpen(Session session) {
        SessionSubscriber sink = SessionSubscriber.of(session);
        new NumberedPublisher(count).subscribe(sink);
        sink.completion().thenRun(() -> session.close(Duration.ofSeconds(5)));
      }
    };
    SessionPublisher inbox = new SessionPublisher();
    Recorder oneByOne = new Recorder(1, true, 0);
    inbox.subscribe(oneByOne);
    try (LifelineServer server = FlowFixtures.server(dir, sender).start();
        LifelineClient client = FlowFixtures.client(dir, server.port()).build()) {
      Session session = client.open("flow-complete", inbox).get(10, TimeUnit.SECONDS);
      assertTrue(oneByOne.ended.await(30, TimeUnit.SECONDS), "no signal of the end");
      awaitCallbacks(session);
      assertEquals(1, oneByOne.completes.get());
      assertEquals(0, oneByOne.errors.get());
      assertEquals(count, oneByOne.items.size());
      for (long n = 1; n <= count; n++) {
        oneByOne.expect(n);
      }
    }
  }

  @Test
  void perSessionGivesEachServerSessionAPublisherAndASubscriberOfItsOwn() throws Exception {
    Map<String, Recorder> recorders = new ConcurrentHashMap<>();
    SessionHandler perSession = SessionPublisher.perSession((session, inbox) -> {
      Recorder recorder = new Recorder(1, true, 0);
      recorders.put(session.id(), recorder);
      inbox.subscribe(recorder);
    });
    int count = 300;
    try (LifelineServer server = FlowFixtures.server(dir, perSession).start();
        LifelineClient client = FlowFixtures.client(dir, server.port()).build()) {
      List<Session> sessions = new ArrayList<>();
      List<SessionSubscriber> sinks = new ArrayList<>();
      for (String key : List.of("flow-a", "flow-b")) {
        Session session = client.open(key, new SessionHandler.SendOnly() {}).get(10, TimeUnit.SECONDS);
        SessionSubscriber sink = SessionSubscriber.of(session);
        new NumberedPublisher(count).subscribe(sink);
        sessions.add(session);
        sinks.add(sink);
      }
      for (int i = 0; i < sessions.size(); i++) {
        sinks.get(i).completion().get(30, TimeUnit.SECONDS);
        sessions.get(i).close(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      }
      for (Session session : sessions) {
        Recorder recorder = recorders.get(session.id());
        assertNotNull(recorder, "no publisher for " + session.id());
        assertTrue(recorder.ended.await(10, TimeUnit.SECONDS), "no end for " + session.id());
        assertEquals(1, recorder.completes.get());
        assertEquals(count, recorder.items.size());
        for (long n = 1; n <= count; n++) {
          recorder.expect(n);
        }
      }
      assertEquals(2, recorders.size());
    }
  }

  /**
   * With {@code autoAcknowledge(false)} on the endpoint a message the subscriber got is not
   * acknowledged until its checkpoint: the sender's completion waits for the last one.
   */
  @Test
  void withAutoAcknowledgeOffOnlyTheSubscribersCheckpointsAcknowledge() throws Exception {
    int count = 500;
    CountDownLatch lastCheckpointAllowed = new CountDownLatch(1);
    AtomicReference<CompletableFuture<Void>> lastCheckpoint = new AtomicReference<>();
    SessionHandler durable = SessionPublisher.perSession((session, inbox) ->
        inbox.subscribe(new Recorder(1, true, 0) {
          @Override
          public void onNext(ReceivedMessage item) {
            super.onNext(item);
            long seq = item.seq();
            if (seq % 100 == 0 && seq < count) {
              session.checkpoint(seq, new byte[0]);
            } else if (seq == count) {
              // After this callback (so after any ACK its return makes due) tell the client
              // that everything was delivered; the frames keep that order on the wire.
              session.runInOrder(() -> sendQuietly(session, new byte[] {1}));
              lastCheckpoint.set(CompletableFuture.runAsync(() -> awaitQuietly(
                  lastCheckpointAllowed)).thenCompose(v -> session.checkpoint(seq, new byte[0])));
            }
          }
        }));
    CountDownLatch allDelivered = new CountDownLatch(1);
    SessionHandler client = new SessionHandler() {
      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) {
        allDelivered.countDown();
      }
    };
    try (LifelineServer server = FlowFixtures.server(dir, durable).autoAcknowledge(false).start();
        LifelineClient endpoint = FlowFixtures.client(dir, server.port()).build()) {
      CountingSession session = new CountingSession(
          endpoint.open("flow-durable", client).get(10, TimeUnit.SECONDS));
      SessionSubscriber sink = SessionSubscriber.of(session);
      new NumberedPublisher(count).subscribe(sink);

      assertTrue(allDelivered.await(30, TimeUnit.SECONDS), "not all delivered");
      assertFalse(sink.completion().isDone(), "acknowledged without a checkpoint");
      long ackedBefore = session.ackedMessages.get();
      assertTrue(ackedBefore < count, ackedBefore + " acknowledged");
      lastCheckpointAllowed.countDown();
      sink.completion().get(10, TimeUnit.SECONDS);
      lastCheckpoint.get().get(10, TimeUnit.SECONDS);
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> session.ackedMessages.get() == count);
    } finally {
      lastCheckpointAllowed.countDown();
    }
  }

  static void sendQuietly(Session session, byte[] message) {
    try {
      session.trySend(message);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aSecondSubscriberAndANonPositiveRequestGetOnError() {
    SessionPublisher inbox = new SessionPublisher();
    Recorder first = new Recorder(0, false, 0);
    Recorder second = new Recorder(0, false, 0);
    inbox.subscribe(first);
    inbox.subscribe(second);
    assertInstanceOf(IllegalStateException.class, second.error);
    assertEquals(0, first.errors.get());

    first.subscription.request(0);
    assertInstanceOf(IllegalArgumentException.class, first.error);
    first.subscription.request(-1);
    first.subscription.cancel();
    assertEquals(1, first.errors.get(), "onError more than once");
    assertFalse(first.completes.get() > 0);
  }
}
