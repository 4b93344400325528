package dev.lifeline.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/** The leak check can fail: a buffer dropped without release is reported and fails it. */
class LeakCheckTest {
  @Test
  void aBufferDroppedWithoutReleaseFailsTheCheck() throws Exception {
    assertTrue(ResourceLeakDetector.getLevel().ordinal() >= ResourceLeakDetector.Level.ADVANCED.ordinal(),
        "tests run with leak detection at paranoid (parent pom): " + ResourceLeakDetector.getLevel());
    LeakCheck.check("before"); // nothing pending from earlier classes
    leakOne();
    AssertionError e = assertThrows(AssertionError.class, () -> LeakCheck.check("this test"));
    assertTrue(e.getMessage().contains("LEAK"), e.getMessage());
  }

  private static void leakOne() {
    ByteBufAllocator.DEFAULT.directBuffer(64).writeLong(42); // never released
  }
}
