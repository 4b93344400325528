package dev.lifeline.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory stays within the configured limits when peers do not cooperate: many sessions whose peer
 * never acknowledges (each replay buffer full) and a fast sender against a receiver that
 * processes slowly (the receiver's inbound queue full, the sender's replay buffer full). What the
 * JVM holds (heap after a full GC, plus Netty's direct and pooled buffers in use) is measured
 * against the sum of the configured bounds plus a fixed allowance for the allocator's chunks and
 * per-connection TLS buffers, and printed.
 */
class MemoryBoundsTest {
  static final int SESSIONS = 16;
  static final int MAX_MESSAGE = 64 * 1024;
  static final long REPLAY = 1024 * 1024;
  static final long INBOUND = 256 * 1024;
  /** Netty's write buffer high water mark: what a channel queues beyond the replay buffer. */
  static final long WATER_MARK = 64 * 1024;
  /** Allocator chunks, thread caches, TLS record buffers, logging: independent of the load. */
  static final long ALLOWANCE = 24L * 1024 * 1024;

  @TempDir Path dir;

  @Test
  void peersThatNeverAcknowledgeHoldAtMostTheirReplayBuffers() throws Exception {
    Map<String, Long> accepted = new ConcurrentHashMap<>();
    CountDownLatch full = new CountDownLatch(SESSIONS);
    SessionHandler flooder = new SessionHandler() {
      @Override
      public void onOpen(Session session) {
        // Send until the replay buffer says no; four times the bound if it never did.
        long bytes = 0;
        try {
          // A fresh array each time: a sent array belongs to the session until acknowledged.
          while (bytes < 4 * REPLAY && session.trySend(new byte[MAX_MESSAGE]) != null) {
            bytes += MAX_MESSAGE;
          }
        } catch (Exception e) {
          bytes = -1;
        }
        accepted.put(session.id(), bytes);
        full.countDown();
      }

      @Override
      public void onMessage(Session session, long seq, java.nio.ByteBuffer message) { }
    };
    Footprint before = Footprint.now();
    List<RawSessionClient> mute = new ArrayList<>();
    try (LifelineServer server = Fixtures.server(dir, flooder).maxMessageSize(MAX_MESSAGE)
            .replayBufferBytes(REPLAY).inboundQueueBytes(INBOUND)
            .idleTimeout(Duration.ofMinutes(5)).start()) {
      SSLContext tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
      for (int i = 0; i < SESSIONS; i++) {
        RawSessionClient c = RawSessionClient.connect(tls, server.port());
        mute.add(c);
        c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, "".getBytes(UTF_8)));
        // ...and never reads or acknowledges again.
      }
      assertTrue(full.await(60, TimeUnit.SECONDS), "the flooders never stopped");
      for (long bytes : accepted.values()) {
        assertTrue(bytes > 0 && bytes <= REPLAY, "a session accepted " + bytes
            + " unacknowledged bytes (replayBufferBytes " + REPLAY + ")");
      }
      Thread.sleep(500); // what the server can push into the socket and the channel, it has
      Footprint held = Footprint.now().minus(before);
      long bound = SESSIONS * (REPLAY + WATER_MARK + MAX_MESSAGE) + ALLOWANCE;
      report("never acknowledging", held, bound);
      assertTrue(held.total() <= bound, held + " over the bound of " + mib(bound));
    } finally {
      for (RawSessionClient c : mute) {
        c.close();
      }
    }
  }

  @Test
  void aFastSenderAgainstASlowReceiverIsHeldToTheQueueBounds() throws Exception {
    CountDownLatch disk = new CountDownLatch(1);
    AtomicLong processed = new AtomicLong();
    SessionHandler slowDisk = (session, seq, message) -> {
      disk.await(); // the "disk" is stuck until the test measured
      processed.incrementAndGet();
    };
    Footprint before = Footprint.now();
    try (LifelineServer server = Fixtures.server(dir, slowDisk).maxMessageSize(MAX_MESSAGE)
            .replayBufferBytes(REPLAY).inboundQueueBytes(INBOUND).start();
        LifelineClient client = Fixtures.client(dir, server.port()).maxMessageSize(MAX_MESSAGE)
            .replayBufferBytes(REPLAY).inboundQueueBytes(INBOUND).build()) {
      Session session = client.open("fast", (s, seq, m) -> { }).get(30, TimeUnit.SECONDS);
      List<CompletableFuture<Void>> acks = new ArrayList<>();
      long sent = 0;
      CompletableFuture<Void> ack;
      while (sent < 8 * REPLAY && (ack = session.trySend(new byte[MAX_MESSAGE])) != null) {
        acks.add(ack);
        sent += MAX_MESSAGE;
      }
      assertTrue(sent <= REPLAY, "the sender accepted " + sent + " unacknowledged bytes");
      Thread.sleep(1_000); // let everything in flight land at the stuck receiver
      Footprint held = Footprint.now().minus(before);
      // The sender's replay buffer, the receiver's queue (paused once over its bound: one read
      // more), each side's channel queue.
      long bound = REPLAY + INBOUND + MAX_MESSAGE + 2 * (WATER_MARK + MAX_MESSAGE) + ALLOWANCE;
      report("fast sender, stuck receiver", held, bound);
      assertTrue(held.total() <= bound, held + " over the bound of " + mib(bound));

      disk.countDown();
      CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> processed.get() == acks.size());
      assertEquals(acks.size(), processed.get(), "nothing dropped");
    }
  }

  private static void report(String scenario, Footprint held, long bound) {
    System.out.printf("FIGURES memory, %s: %s, bound %s%n", scenario, held, mib(bound));
  }

  static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / 1048576.0);
  }

  /** Heap in use after a full GC, and Netty's buffers in use, at one moment. */
  record Footprint(long heap, long direct, long pooled) {
    static Footprint now() throws InterruptedException {
      for (int i = 0; i < 3; i++) {
        System.gc();
        Thread.sleep(20);
      }
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long direct = io.netty.util.internal.PlatformDependent.usedDirectMemory();
      long pooled = 0;
      for (ByteBufAllocator a : new ByteBufAllocator[] {ByteBufAllocator.DEFAULT,
          PooledByteBufAllocator.DEFAULT}) {
        if (a instanceof ByteBufAllocatorMetricProvider m) {
          pooled += m.metric().usedDirectMemory() + m.metric().usedHeapMemory();
        }
        if (a == PooledByteBufAllocator.DEFAULT && a == ByteBufAllocator.DEFAULT) {
          break;
        }
      }
      return new Footprint(heap, Math.max(0, direct), pooled);
    }

    Footprint minus(Footprint base) {
      return new Footprint(heap - base.heap, direct - base.direct, pooled - base.pooled);
    }

    /**
     * What the scenario added: heap plus Netty's pooled buffers (the pools' direct memory is also
     * in {@code direct}; unpooled direct buffers only there).
     */
    long total() {
      return heap + Math.max(pooled, direct);
    }

    @Override
    public String toString() {
      return "heap +" + mib(heap) + ", direct +" + mib(direct) + ", allocator in use +"
          + mib(pooled);
    }
  }
}
