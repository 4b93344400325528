package dev.lifeline.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/**
 * Guards the build: every buffer-handling test relies on Netty's paranoid leak detector, and a
 * misspelt surefire parameter once switched it off silently.
 */
class LeakDetectionConfiguredTest {

  @Test
  void leakDetectorIsParanoid() {
    assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
  }
}
