package dev.lifeline.demo.common;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;

/**
 * The demos' one line per event, {@code HH:mm:ss.SSS LEVEL Logger: message} and the stack trace
 * of an exception after it: what {@link DemoLogbackConfigurator#PATTERN} in a {@code
 * PatternLayout} prints, written out by hand. Parsing the pattern and building its converters and
 * date formatter cost every {@code client-demo} start about a tenth of a CPU second, before the
 * first event (which a transfer at the default level never logs); this costs nothing until then.
 */
final class DemoLayout extends LayoutBase<ILoggingEvent> {
  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder b = new StringBuilder(128);
    LocalTime t = LocalTime.ofInstant(Instant.ofEpochMilli(event.getTimeStamp()), ZoneId.systemDefault());
    two(b, t.getHour()).append(':');
    two(b, t.getMinute()).append(':');
    two(b, t.getSecond()).append('.');
    int millis = t.getNano() / 1_000_000;
    b.append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10))
        .append((char) ('0' + millis % 10)).append(' ');
    String level = event.getLevel().toString();
    b.append(level);
    for (int i = level.length(); i < 5; i++) {
      b.append(' ');
    }
    String logger = event.getLoggerName();
    b.append(' ').append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(": ")
        .append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      b.append(ThrowableProxyUtil.asString(thrown));
    }
    return b.toString();
  }

  private static StringBuilder two(StringBuilder b, int value) {
    return b.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
  }
}
