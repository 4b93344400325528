package dev.lifeline.demo.common;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logback set-up for the demos: one short line per event on stderr (stdout carries only the
 * demo's result), the root at a level each demo picks. Configured in code by
 * {@link DemoLogbackConfigurator}, not from an XML file: a short-lived client pays for every class
 * it loads. {@code -Dlogback.configurationFile=FILE} still overrides it.
 */
public final class DemoLogging {
  /** The system property {@link #useDefaults} sets: the root level the demo asked for. */
  static final String LEVEL_PROPERTY = "lifeline.demo.logLevel";
  static final String LOGBACK_FILE_PROPERTY = "logback.configurationFile";

  private DemoLogging() {}

  /**
   * Makes the demos' logging form the configuration, with the root at {@code rootLevel} (e.g.
   * {@code "WARN"}), unless the user chose a configuration with
   * {@code -Dlogback.configurationFile}. Call it first thing in {@code main}, before any logger
   * exists.
   */
  public static void useDefaults(String rootLevel) {
    System.setProperty(LEVEL_PROPERTY, rootLevel);
  }

  /** Changes the root level at run time, e.g. for {@code -v}. */
  public static void setRootLevel(String level) {
    org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (root instanceof Logger logback) {
      logback.setLevel(Level.toLevel(level, Level.INFO));
    }
  }
}
