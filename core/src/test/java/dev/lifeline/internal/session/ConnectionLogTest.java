package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ConnectionLogTest {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final Logger logger = (Logger) LoggerFactory.getLogger(ConnectionLog.class);
  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();

  @BeforeEach
  void capture() {
    captured.start();
    logger.addAppender(captured);
  }

  @AfterEach
  void stop() {
    logger.detachAppender(captured);
    timer.shutdownNow();
  }

  private List<String> lines(String side) {
    synchronized (captured.list) {
      return captured.list.stream().map(ILoggingEvent::getFormattedMessage)
          .filter(m -> m.startsWith(side + ":")).collect(Collectors.toList());
    }
  }

  @Test
  void summarisesEachWindowOnceAfterItsFirstProblem() {
    ConnectionLog log = new ConnectionLog("unit-a", timer, 200);
    for (int i = 0; i < 5; i++) {
      log.count("TLS handshake failed", "SslHandshakeTimeoutException: timed out");
    }
    log.count("closed PROTOCOL_ERROR", null);
    assertTrue(lines("unit-a").isEmpty(), "nothing before the interval ends");
    Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> !lines("unit-a").isEmpty());
    String summary = lines("unit-a").get(0);
    assertTrue(summary.startsWith("unit-a: 6 connection problems in the last "), summary);
    assertTrue(summary.contains("5× TLS handshake failed (SslHandshakeTimeoutException: timed out)"
        + "; 1× closed PROTOCOL_ERROR"), summary);

    // A quiet window writes nothing; the next problem starts a new one.
    log.report();
    assertEquals(1, lines("unit-a").size());
    log.count("closed TIMEOUT", null);
    Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> lines("unit-a").size() == 2);
    assertTrue(lines("unit-a").get(1).startsWith("unit-a: 1 connection problem in the last "),
        lines("unit-a").get(1));
  }

  @Test
  void boundsTheNumberOfDistinctReasons() {
    ConnectionLog log = new ConnectionLog("unit-b", null, 60_000);
    for (int i = 0; i < 100; i++) {
      log.count("TLS handshake failed", "reason " + i);
    }
    log.report();
    String summary = lines("unit-b").get(0);
    assertTrue(summary.startsWith("unit-b: 100 connection problems"), summary);
    assertTrue(summary.contains("× TLS handshake failed (other reasons)"), summary);
    assertTrue(summary.split("; ").length <= ConnectionLog.MAX_REASONS + 1, summary);
  }

  @Test
  void reasonsAreGroupedByPatternAndCannotForgeLines() {
    assertEquals("peer wants # but this side holds #..#",
        ConnectionLog.pattern("peer wants 812 but this side holds 3..7"));
    assertEquals(ConnectionLog.pattern("session Vj1Wr60OpTsiWWcQ7CWQ4Q is closed"),
        ConnectionLog.pattern("session abcdefghijklmnop_-12 is closed"));
    assertEquals("bad??INFO server: fake", ConnectionLog.pattern("bad\r\nINFO server: fake"));

    ConnectionLog log = new ConnectionLog("unit-p", null, 60_000);
    log.count("peer closed PROTOCOL_ERROR", ConnectionLog.pattern("DATA seq 17 (expected: 9)"));
    log.count("peer closed PROTOCOL_ERROR", ConnectionLog.pattern("DATA seq 120 (expected: 4)"));
    log.report();
    assertEquals(1, lines("unit-p").size());
    assertTrue(lines("unit-p").get(0).contains(
        "2× peer closed PROTOCOL_ERROR (DATA seq # (expected: #))"), lines("unit-p").get(0));
  }
}
