package dev.lifeline.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;

/**
 * A Logback appender (see {@code logback-test.xml}) that keeps every line Netty's leak detector
 * logs, so {@link LeakCheck} can fail the test class that was running when a leak was reported.
 */
public final class LeakLog extends AppenderBase<ILoggingEvent> {
  private static final List<String> LINES = new ArrayList<>();

  @Override
  protected void append(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message != null && message.contains("LEAK")) {
      synchronized (LINES) {
        LINES.add(message);
      }
    }
  }

  /** The leak reports since the last call, and forgets them. */
  static List<String> drain() {
    synchronized (LINES) {
      List<String> copy = new ArrayList<>(LINES);
      LINES.clear();
      return copy;
    }
  }
}
