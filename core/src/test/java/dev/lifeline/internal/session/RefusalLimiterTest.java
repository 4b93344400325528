package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RefusalLimiterTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final RefusalLimiter limiter = new RefusalLimiter(3, 2, nanos::get);

  private void advanceMillis(long millis) {
    nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
  }

  @Test
  void aSourceMayBeRefusedBurstTimesThenIsLimited() {
    assertTrue(limiter.allows("10.0.0.1"));
    limiter.refused("10.0.0.1");
    limiter.refused("10.0.0.1");
    assertTrue(limiter.allows("10.0.0.1"));
    limiter.refused("10.0.0.1");
    assertFalse(limiter.allows("10.0.0.1"));
    assertTrue(limiter.allows("10.0.0.2"), "other sources are not affected");
  }

  @Test
  void refillsAtTheConfiguredRateUpToTheBurst() {
    for (int i = 0; i < 10; i++) {
      limiter.refused("a");
    }
    assertFalse(limiter.allows("a"));
    advanceMillis(499); // 2 per second: one token needs 500 ms
    assertFalse(limiter.allows("a"));
    advanceMillis(1);
    assertTrue(limiter.allows("a"));
    limiter.refused("a");
    assertFalse(limiter.allows("a"));

    advanceMillis(60_000); // a long pause refills only up to the burst
    for (int i = 0; i < 3; i++) {
      assertTrue(limiter.allows("a"), "refusal " + i);
      limiter.refused("a");
    }
    assertFalse(limiter.allows("a"));
  }

  @Test
  void successesCostNothing() {
    for (int i = 0; i < 100; i++) {
      assertTrue(limiter.allows("b"));
    }
  }

  @Test
  void aLimitedSourceIsToldAtMostOnceASecondAndDroppedOtherwise() {
    assertTrue(limiter.mayExplain("c"), "a source never refused may always try");
    for (int i = 0; i < 3; i++) {
      limiter.refused("c");
    }
    assertFalse(limiter.allows("c"));
    assertTrue(limiter.mayExplain("c"), "the first attempt after the limit is told why");
    assertFalse(limiter.mayExplain("c"), "then dropped before the handshake");
    advanceMillis(999);
    assertFalse(limiter.mayExplain("c"));
    advanceMillis(1);
    assertTrue(limiter.mayExplain("c"), "told again a second later");
    assertFalse(limiter.mayExplain("c"));
  }
}
