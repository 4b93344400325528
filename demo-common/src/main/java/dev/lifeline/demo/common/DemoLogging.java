package dev.lifeline.demo.common;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logback set-up for the demos. Each demo names its own configuration resource instead of relying
 * on {@code logback.xml}: the end-to-end tests put both demos on one class path, and the first
 * {@code logback.xml} would win for both.
 */
public final class DemoLogging {
  private DemoLogging() {}

  /**
   * Uses {@code resource} (on the class path) unless the user chose a configuration with
   * {@code -Dlogback.configurationFile}. Call it first thing in {@code main}, before any logger
   * exists.
   */
  public static void useConfiguration(String resource) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", resource);
    }
  }

  /** Changes the root level at run time, e.g. for {@code -v}. */
  public static void setRootLevel(String level) {
    org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (root instanceof Logger logback) {
      logback.setLevel(Level.toLevel(level, Level.INFO));
    }
  }
}
