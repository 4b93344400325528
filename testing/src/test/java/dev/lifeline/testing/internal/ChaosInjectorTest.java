package dev.lifeline.testing.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.testing.ChaosSpec;
import dev.lifeline.testing.ChaosSpec.Mode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ChaosInjectorTest {

  /** Runs one connection through the handler: feeds bytes until it is cut or they run out. */
  private static void runConnection(ChannelHandler handler, int bytes) {
    final EmbeddedChannel ch = new EmbeddedChannel(handler);
    try {
      ch.writeInbound(Unpooled.wrappedBuffer(new byte[bytes]));
      ch.close();
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void countLimitsCutsAndUnusedCutsAreGivenBack() {
    final ChaosInjector chaos = new ChaosInjector(ChaosSpec.parse("cut=10..20,count=2"),
        new SplittableRandom(1));
    final ChannelHandler first = chaos.newHandlerOrNull();
    final ChannelHandler second = chaos.newHandlerOrNull();
    assertNotNull(first);
    assertNotNull(second);
    assertNull(chaos.newHandlerOrNull(), "two cuts armed: none left");
    assertEquals(0, chaos.remaining());

    runConnection(first, 100); // cut
    runConnection(second, 5); // ended before its cut point: gives the cut back
    assertEquals(1, chaos.cuts());
    assertEquals(1, chaos.remaining());

    final ChannelHandler third = chaos.newHandlerOrNull();
    assertNotNull(third);
    runConnection(third, 100);
    assertEquals(2, chaos.cuts());
    assertEquals(2, chaos.cuts(Mode.RST));
    assertNull(chaos.newHandlerOrNull());
  }

  @Test
  void unlimitedNeverRunsOut() {
    final ChaosInjector chaos = new ChaosInjector(ChaosSpec.parse("cut=1"), new SplittableRandom());
    for (int i = 0; i < 100; i++) {
      runConnection(chaos.newHandlerOrNull(), 2);
    }
    assertEquals(100, chaos.cuts());
    assertEquals(ChaosSpec.UNLIMITED, chaos.remaining());
  }

  @Test
  void mixCountsEachMode() {
    final ChaosInjector chaos =
        new ChaosInjector(ChaosSpec.parse("cut=1..4,mode=mix"), new SplittableRandom(5));
    for (int i = 0; i < 300; i++) {
      runConnection(chaos.newHandlerOrNull(), 10);
    }
    assertEquals(300, chaos.cuts());
    long sum = 0;
    for (Mode mode : List.of(Mode.RST, Mode.FIN, Mode.BLACKHOLE)) {
      assertTrue(chaos.cuts(mode) > 50, mode + ": " + chaos.cuts(mode));
      sum += chaos.cuts(mode);
    }
    assertEquals(300, sum);
    assertEquals(0, chaos.cuts(Mode.MIX));
  }

  @Test
  void sameSeedSameCutPoints() {
    final ChaosSpec spec = ChaosSpec.parse("cut=1K..1G,mode=mix,count=20");
    final ChaosInjector a = new ChaosInjector(spec, new SplittableRandom(123));
    final ChaosInjector b = new ChaosInjector(spec, new SplittableRandom(123));
    for (int i = 0; i < 20; i++) {
      final ChaosHandler ha = (ChaosHandler) a.newHandlerOrNull();
      final ChaosHandler hb = (ChaosHandler) b.newHandlerOrNull();
      assertEquals(ha.cutAfterBytes(), hb.cutAfterBytes());
      assertEquals(ha.mode(), hb.mode());
      assertTrue(ha.cutAfterBytes() >= 1024 && ha.cutAfterBytes() <= 1L << 30);
    }
  }

  @Test
  void concurrentConnectionsNeverExceedTheCount() throws Exception {
    final ChaosInjector chaos =
        new ChaosInjector(ChaosSpec.parse("cut=1..9,count=100"), new SplittableRandom(2));
    final AtomicInteger handed = new AtomicInteger();
    final CountDownLatch start = new CountDownLatch(1);
    final List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      final Thread thread = new Thread(() -> {
        awaitQuietly(start);
        for (int i = 0; i < 1_000; i++) {
          if (chaos.newHandlerOrNull() != null) {
            handed.incrementAndGet();
          }
        }
      });
      thread.start();
      threads.add(thread);
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(10_000);
    }
    assertEquals(100, handed.get());
  }

  @Test
  void planRefusesReportsWithoutArmedCut() {
    final ChaosPlan plan = new ChaosPlan(ChaosSpec.parse("cut=1"), new SplittableRandom());
    assertThrows(IllegalStateException.class, () -> plan.cutDone(Mode.RST));
    assertThrows(IllegalStateException.class, plan::disarm);
    assertNotNull(plan.armOrNull());
    assertThrows(IllegalArgumentException.class, () -> plan.cutDone(Mode.MIX));
    plan.cutDone(Mode.FIN);
    assertEquals(1, plan.cuts(Mode.FIN));
    assertEquals(0, plan.armed());
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
