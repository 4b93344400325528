package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A receiver that does not keep up: the sender's replay buffer fills, {@code trySend} says no,
 * {@code send} waits, {@code isWritable} is false, and {@code onWritable} fires once the receiver
 * catches up. Reading pauses at the receiver meanwhile, and its idle check must not mistake that
 * for a dead peer. Nothing is dropped.
 */
class BackpressureTest {
  static final long REPLAY_BYTES = 64 * 1024;
  static final int MAX_MESSAGE = 8 * 1024;
  static final int SPREAD = 8 * 1024 - 8;
  static final int MESSAGES = 400;
  static final Duration IDLE = Duration.ofMillis(400);

  @TempDir Path dir;

  @Test
  void fullReplayBufferMakesTheSenderWaitAndLosesNothing() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    Fixtures.CheckedStream checked = new Fixtures.CheckedStream();
    SessionHandler slowReceiver = (session, seq, message) -> {
      gate.await(); // stuck on the first message until the test lets it go
      Thread.sleep(1);
      checked.onMessage(session, seq, message);
    };
    AtomicLong disconnects = new AtomicLong();
    SessionHandler clientSide = new SessionHandler() {
      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) {}

      @Override
      public void onDisconnected(Session session, Throwable cause) {
        disconnects.incrementAndGet();
      }
    };
    try (LifelineServer server = Fixtures.server(dir, slowReceiver).idleTimeout(IDLE)
            .maxMessageSize(MAX_MESSAGE).inboundQueueBytes(16 * 1024).start();
        LifelineClient client = Fixtures.client(dir, server.port()).idleTimeout(IDLE)
            .maxMessageSize(MAX_MESSAGE).replayBufferBytes(REPLAY_BYTES).build()) {
      Session session = client.open("backpressure", clientSide).get(10, TimeUnit.SECONDS);
      assertTrue(session.isWritable());

      List<CompletableFuture<Void>> acks = new ArrayList<>();
      long n = 0;
      long bytes = 0;
      CompletableFuture<Void> f;
      while ((f = session.trySend(Fixtures.message(n + 1, SPREAD))) != null) {
        acks.add(f);
        bytes += Fixtures.message(++n, SPREAD).length;
        assertTrue(bytes <= REPLAY_BYTES, "accepted " + bytes + " bytes over the bound");
      }
      long accepted = n;
      assertTrue(accepted > 1 && accepted < MESSAGES, "trySend accepted " + accepted);
      assertTrue(bytes + MAX_MESSAGE > REPLAY_BYTES, "refused with room left: " + bytes);
      assertFalse(session.isWritable());
      assertNull(session.trySend(new byte[MAX_MESSAGE]), "still full");

      CountDownLatch writable = new CountDownLatch(1);
      session.onWritable(writable::countDown);
      CountDownLatch sendReturned = new CountDownLatch(1);
      Thread blocked = new Thread(() -> {
        try {
          acks.add(session.send(Fixtures.message(accepted + 1, SPREAD)));
          sendReturned.countDown();
          for (long m = accepted + 2; m <= MESSAGES; m++) {
            acks.add(session.send(Fixtures.message(m, SPREAD)));
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }, "blocked-sender");
      blocked.start();

      // The receiver holds the first message for three idle timeouts: no ack, no room, and
      // reading at the receiver is paused, which must not count as a dead connection.
      assertFalse(sendReturned.await(3 * IDLE.toMillis(), TimeUnit.MILLISECONDS),
          "send returned although the buffer is full");
      assertEquals(Thread.State.WAITING, blocked.getState());
      assertEquals(1, writable.getCount(), "onWritable ran while the buffer was full");
      assertEquals(0, checked.received());

      gate.countDown();
      assertTrue(writable.await(10, TimeUnit.SECONDS), "onWritable never ran");
      assertTrue(sendReturned.await(10, TimeUnit.SECONDS), "send stayed blocked");
      blocked.join(60_000);
      assertFalse(blocked.isAlive());
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> checked.received() == MESSAGES);
      assertTrue(checked.ok(), checked.errors::toString);
      CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
      assertEquals(MESSAGES, acks.size());
      assertEquals(0, disconnects.get(), "a paused reader was taken for a dead peer");
      assertEquals(0, session.stats().reconnects());
      assertTrue(session.isWritable());
    }
  }
}
