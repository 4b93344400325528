package dev.lifeline.demo.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hand-written layout prints what the pattern it replaces printed, to the character. */
class DemoLayoutTest {
  private final LoggerContext context = new LoggerContext();
  private final Logger logger = context.getLogger("dev.lifeline.demo.client.TransferRunner");

  @AfterEach
  void stop() {
    context.stop();
  }

  @Test
  void printsWhatThePatternPrinted() {
    for (Level level : new Level[] {Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG, Level.TRACE}) {
      LoggingEvent e = new LoggingEvent("x", logger, level, "moved {} bytes", null,
          new Object[] {42});
      e.setTimeStamp(1_765_000_000_007L + level.toInt());
      assertEquals(pattern().doLayout(e), layout().doLayout(e));
    }
  }

  @Test
  void printsTheStackTraceAsThePatternDid() {
    IOException cause = new IOException("connection reset");
    LoggingEvent e = new LoggingEvent("x", logger, Level.WARN, "upload failed", 
        new IllegalStateException("gave up", cause), null);
    String line = layout().doLayout(e);
    assertEquals(pattern().doLayout(e), line);
    assertTrue(line.contains("Caused by: java.io.IOException: connection reset"), line);
  }

  @Test
  void namesTheLoggerWithoutItsPackage() {
    LoggingEvent e = new LoggingEvent("x", context.getLogger("Plain"), Level.INFO, "hi", null, null);
    assertTrue(layout().doLayout(e).endsWith(" INFO  Plain: hi" + System.lineSeparator()));
  }

  private DemoLayout layout() {
    DemoLayout l = new DemoLayout();
    l.setContext(context);
    l.start();
    return l;
  }

  private PatternLayout pattern() {
    PatternLayout p = new PatternLayout();
    p.setContext(context);
    p.setPattern(DemoLogbackConfigurator.PATTERN);
    p.start();
    return p;
  }
}
