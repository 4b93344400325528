package dev.lifeline.demo.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NettyDefaultsTest {
  private static final String KEY = "io.netty.leakDetection.level";
  private String before;

  @BeforeEach
  void remember() {
    before = System.getProperty(KEY);
  }

  @AfterEach
  void restore() {
    if (before == null) {
      System.clearProperty(KEY);
    } else {
      System.setProperty(KEY, before);
    }
  }

  @Test
  void turnsLeakDetectionOffWhenNobodyChose() {
    System.clearProperty(KEY);
    NettyDefaults.apply();
    assertEquals("disabled", System.getProperty(KEY));
  }

  @Test
  void leavesTheUsersChoiceAlone() {
    System.setProperty(KEY, "paranoid");
    NettyDefaults.apply();
    assertEquals("paranoid", System.getProperty(KEY));
  }
}
