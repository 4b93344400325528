package dev.lifeline.demo.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.Iterator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DemoLogbackConfiguratorTest {
  private final LoggerContext context = new LoggerContext();

  @AfterEach
  void clearProperties() {
    System.clearProperty(DemoLogging.LEVEL_PROPERTY);
    System.clearProperty(DemoLogging.LOGBACK_FILE_PROPERTY);
    context.stop();
  }

  private ExecutionStatus configure() {
    DemoLogbackConfigurator c = new DemoLogbackConfigurator();
    c.setContext(context);
    return c.configure(context);
  }

  @Test
  void configuresStderrAtTheDemosLevel() {
    DemoLogging.useDefaults("WARN");
    assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, configure());
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertEquals(Level.WARN, root.getLevel());
    Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders();
    assertTrue(it.hasNext());
    Appender<ILoggingEvent> a = it.next();
    assertTrue(a instanceof ConsoleAppender<?> console && "System.err".equals(console.getTarget()),
        "appender: " + a);
    assertTrue(a.isStarted());
    assertFalse(it.hasNext());
  }

  @Test
  void stepsAsideWithoutTheDemosMain() {
    assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configure());
    assertFalse(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext());
  }

  @Test
  void stepsAsideForTheUsersOwnConfigurationFile() {
    DemoLogging.useDefaults("INFO");
    System.setProperty(DemoLogging.LOGBACK_FILE_PROPERTY, "/tmp/mine.xml");
    assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, configure());
    assertFalse(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext());
  }
}
