package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionStats;
import dev.lifeline.testing.ChaosSpec.Mode;
import dev.lifeline.testing.FaultProxy;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server session streams to a client across a long path: {@link FaultProxy} holds every byte
 * 20 ms each way (a 40 ms round trip) with up to 32 MiB in flight per direction, far more than
 * the windows here, so the window and not the path limits. The replay buffer is the sender's
 * window: at its initial 1 MiB it carries at most 1 MiB per round trip, so it must grow
 * (docs/protocol.md "Keeping a long pipe full"), and growing must lose or repeat nothing, also
 * across a cut.
 */
class LongPathTest {
  static final int MESSAGE_BYTES = 64 * 1024;
  static final Duration ONE_WAY = Duration.ofMillis(20);
  static final long IN_FLIGHT_BYTES = 32L << 20;
  static final long INITIAL_WINDOW = 1L << 20;

  @TempDir Path dir;

  /** Both ends' stats once the client had every message, before the session closed. */
  private record Run(SessionStats atServer, SessionStats atClient, long resets) {}

  @Test
  void theWindowGrowsPastItsInitialSizeAndEveryMessageArrivesOnceInOrder() throws Exception {
    long count = (48L << 20) / MESSAGE_BYTES;
    Run run = stream(count, 16L << 20, null);
    SessionStats stats = run.atServer();
    assertTrue(stats.replayWindowBytes() > INITIAL_WINDOW,
        "a 1 MiB window across a 40 ms round trip never grew: " + stats);
    assertTrue(stats.replayWindowBytes() <= 16L << 20, "grew past its maximum: " + stats);
  }

  @Test
  void withGrowthOffTheWindowStaysAndEveryMessageStillArrives() throws Exception {
    long count = (24L << 20) / MESSAGE_BYTES;
    Run run = stream(count, INITIAL_WINDOW, null);
    SessionStats stats = run.atServer();
    assertEquals(INITIAL_WINDOW, stats.replayWindowBytes(), stats.toString());
  }

  @Test
  void aResetMidStreamLosesAndRepeatsNothing() throws Exception {
    long count = (48L << 20) / MESSAGE_BYTES;
    Run run = stream(count, 16L << 20, proxy -> proxy.cutAll(Mode.RST));
    assertEquals(1, run.resets(), run.toString());
    assertTrue(run.atClient().reconnects() >= 1, "the session never resumed: " + run);
  }

  /** Something a test does to the path once the client has received a third of the stream. */
  private interface Midway {
    void act(FaultProxy proxy) throws Exception;
  }

  /**
   * Streams {@code count} messages from a new server session through the long path and checks
   * that the client received each once and in order.
   */
  private Run stream(long count, long maxWindow, Midway midway) throws Exception {
    ExecutorService senders = Executors.newSingleThreadExecutor();
    CompletableFuture<Session> serverSession = new CompletableFuture<>();
    CompletableFuture<Future<?>> sending = new CompletableFuture<>();
    SessionHandler serverSide = new SessionHandler() {
      @Override
      public void onOpen(Session session) {
        serverSession.complete(session);
        sending.complete(senders.submit(() -> {
          sendAll(session, count);
          return null;
        }));
      }

      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) {
        // the client sends nothing
      }
    };
    Fixtures.CheckedStream received = new Fixtures.CheckedStream();
    try (LifelineServer server = Fixtures.server(dir, serverSide)
            .replayBufferBytes(INITIAL_WINDOW).maxReplayBufferBytes(maxWindow)
            .maxMessageSize(MESSAGE_BYTES).start();
        FaultProxy proxy = FaultProxy.start("127.0.0.1", server.port());
        LifelineClient client = Fixtures.client(dir, proxy.port())
            .maxMessageSize(MESSAGE_BYTES)
            .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30))
            .build()) {
      proxy.setLatency(ONE_WAY, IN_FLIGHT_BYTES);
      long start = System.nanoTime();
      Session session = client.open("long-path", received).get(30, TimeUnit.SECONDS);
      if (midway != null) {
        awaitReceived(received, count / 3);
        midway.act(proxy);
      }
      awaitReceived(received, count);
      // Read now: an idle window shrinks back to its initial size two seconds after its last
      // use, and a closed session's at once.
      Run run = new Run(serverSession.get(10, TimeUnit.SECONDS).stats(), session.stats(),
          proxy.cuts(Mode.RST));
      System.out.printf("max window %d MiB: %d MiB through %s each way in %d ms; %s%n",
          maxWindow >> 20, count * MESSAGE_BYTES >> 20, ONE_WAY,
          (System.nanoTime() - start) / 1_000_000, run);
      assertTrue(received.ok(), () -> "client received: " + received.errors);
      sending.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
      session.close(Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
      assertEquals(count, received.received(), "nothing arrives late or twice");
      assertTrue(received.ok(), () -> "client received: " + received.errors);
      return run;
    } finally {
      senders.shutdownNow();
    }
  }

  private static void awaitReceived(Fixtures.CheckedStream received, long count) {
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
        .until(() -> received.received() >= count || !received.ok());
  }

  /** Messages 1..count of {@link Fixtures.CheckedStream}'s pattern, each {@link #MESSAGE_BYTES}. */
  private static void sendAll(Session session, long count) throws Exception {
    for (long n = 1; n <= count; n++) {
      ByteBuffer message = ByteBuffer.allocate(MESSAGE_BYTES).putLong(n);
      for (int i = 8; i < MESSAGE_BYTES; i++) {
        message.put((byte) (n * 31 + i));
      }
      session.send(message.array());
    }
  }
}
