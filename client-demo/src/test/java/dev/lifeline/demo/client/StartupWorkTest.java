package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StartupWorkTest {
  private final String before = System.getProperty(StartupWork.NETTY_JFR);

  @AfterEach
  void restore() {
    if (before == null) {
      System.clearProperty(StartupWork.NETTY_JFR);
    } else {
      System.setProperty(StartupWork.NETTY_JFR, before);
    }
  }

  @Test
  void turnsNettyJfrEventsOffByDefault() {
    System.clearProperty(StartupWork.NETTY_JFR);
    StartupWork.begin();
    assertEquals("false", System.getProperty(StartupWork.NETTY_JFR));
  }

  @Test
  void keepsTheUsersChoice() {
    System.setProperty(StartupWork.NETTY_JFR, "true");
    StartupWork.begin();
    assertEquals("true", System.getProperty(StartupWork.NETTY_JFR));
  }
}
