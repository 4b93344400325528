package dev.lifeline.demo.common;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's first configurator (a {@code ServiceLoader} service): in a demo process it sets up
 * the demos' one logging form in code — one short line per event on stderr, the root at the
 * level {@link DemoLogging#useDefaults} chose — instead of parsing an XML file. Parsing XML (SAX,
 * Joran and their classes) was about 0.3 CPU seconds of every {@code client-demo} run; the line
 * is written by {@link DemoLayout}, not a {@code PatternLayout}, whose pattern parsing cost
 * another tenth of a second.
 *
 * <p>Steps aside (Logback then configures itself as usual: {@code logback.configurationFile},
 * {@code logback-test.xml}, {@code logback.xml}, defaults) when the demo's {@code main} did not
 * ask for it, e.g. in tests, or when the user named a configuration with
 * {@code -Dlogback.configurationFile}.
 */
public final class DemoLogbackConfigurator extends ContextAwareBase implements Configurator {
  /**
   * The form both demos log in: time, level, logger's simple name, message ({@link DemoLayout}
   * prints exactly this; a user's own configuration can start from it).
   */
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0}: %msg%n";

  /** Public, with no arguments: {@code ServiceLoader} instantiates it. */
  public DemoLogbackConfigurator() {}

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    String level = System.getProperty(DemoLogging.LEVEL_PROPERTY);
    if (level == null || System.getProperty(DemoLogging.LOGBACK_FILE_PROPERTY) != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    DemoLayout layout = new DemoLayout();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level, Level.INFO));
    root.addAppender(stderr);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
