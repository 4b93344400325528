package dev.lifeline.http.internal;

import dev.lifeline.ErrorCode;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.ServerEventListener;
import dev.lifeline.SessionInfo;
import dev.lifeline.internal.http.ServerView;
import dev.lifeline.transfer.FileTransferServer;
import dev.lifeline.transfer.TransferProgress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The server's metrics in a Micrometer registry, scraped as Prometheus text. Counters and timers
 * move on {@link ServerEventListener} and {@link HandshakeListener} events; gauges read the
 * server's session snapshot and the transfer server's active transfers when scraped. The names
 * are listed in {@code docs/http.md}.
 */
final class LifelineMetrics implements ServerEventListener, HandshakeListener {
  private static final Duration[] LATENCY_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2500), Duration.ofSeconds(5)};

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter handshakesFull = handshakes("full");
  private final Counter handshakesResumed = handshakes("resumed");
  private final Counter handshakesFailed = handshakes("failed");
  private final Counter replayedBytes = Counter.builder("lifeline.replayed")
      .baseUnit("bytes")
      .description("Message bytes the server sent again from its replay buffer after resumes")
      .register(registry);
  private final Counter disconnects = Counter.builder("lifeline.disconnects")
      .description("Connections lost under a live session")
      .register(registry);
  private final Counter sessionsOpened = Counter.builder("lifeline.sessions.opened")
      .description("Sessions opened")
      .register(registry);
  private final Timer resumeLatency = Timer.builder("lifeline.resume.latency")
      .description("From a RESUME arriving to the session attached (successful resumes)")
      .serviceLevelObjectives(LATENCY_BUCKETS)
      .register(registry);
  private final Timer commitLatency = Timer.builder("lifeline.checkpoint.commit")
      .description("Time to make a server-side checkpoint durable in the store")
      .serviceLevelObjectives(LATENCY_BUCKETS)
      .register(registry);

  LifelineMetrics() {
    for (String outcome : new String[] {"resumed", "invalid_token", "token_reused",
        "unknown_session", "expired_session", "foreign_session", "rate_limited"}) {
      resumeAttempts(outcome);
    }
  }

  /** Registers the gauges that read {@code server} and {@code files}. */
  void bind(ServerView server, FileTransferServer files) {
    sessionGauge("lifeline.sessions.active", "Sessions held (connected or awaiting resume)",
        server, s -> 1);
    sessionGauge("lifeline.sessions.connected", "Sessions with a connection attached", server,
        s -> s.connected() ? 1 : 0);
    Gauge.builder("lifeline.replay.buffer", server,
            sv -> sum(sv, SessionInfo::replayBufferedBytes))
        .baseUnit("bytes")
        .description("Unacknowledged message bytes held for resend, all sessions")
        .register(registry);
    for (TransferProgress.Direction d : TransferProgress.Direction.values()) {
      Gauge.builder("lifeline.transfers.active", files,
              f -> f.activeTransfers().stream().filter(t -> t.direction() == d).count())
          .tag("direction", d.name().toLowerCase(Locale.ROOT))
          .description("File transfers under way")
          .register(registry);
    }
  }

  private void sessionGauge(String name, String description, ServerView server,
      ToDoubleFunction<SessionInfo> each) {
    Gauge.builder(name, server, sv -> sv.sessions().stream().mapToDouble(each).sum())
        .description(description)
        .register(registry);
  }

  private static double sum(ServerView server,
      java.util.function.ToLongFunction<SessionInfo> f) {
    return server.sessions().stream().mapToLong(f).sum();
  }

  private Counter handshakes(String type) {
    return Counter.builder("lifeline.handshakes")
        .tag("type", type)
        .description("Server TLS handshakes by outcome: full, resumed (session ticket) or failed")
        .register(registry);
  }

  private Counter resumeAttempts(String outcome) {
    return Counter.builder("lifeline.resume.attempts")
        .tag("outcome", outcome)
        .description("Session resume attempts by outcome: resumed or the refusal code")
        .register(registry);
  }

  /** The registry's content in the Prometheus text format 0.0.4. */
  String scrape() {
    return registry.scrape();
  }

  @Override
  public void handshakeCompleted(HandshakeEvent e) {
    if (e.side() != HandshakeEvent.Side.SERVER) {
      return;
    }
    (!e.succeeded() ? handshakesFailed : e.resumed() ? handshakesResumed : handshakesFull)
        .increment();
  }

  @Override
  public void sessionOpened(String sessionId, String identity) {
    sessionsOpened.increment();
  }

  @Override
  public void resumeSucceeded(String sessionId, long latencyNanos) {
    resumeAttempts("resumed").increment();
    resumeLatency.record(latencyNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void resumeRefused(String sessionId, ErrorCode code, long latencyNanos) {
    resumeAttempts(code.name().toLowerCase(Locale.ROOT)).increment();
  }

  @Override
  public void sessionDisconnected(String sessionId, String reason) {
    disconnects.increment();
  }

  @Override
  public void replayed(String sessionId, long bytes) {
    replayedBytes.increment(bytes);
  }

  @Override
  public void checkpointCommitted(String sessionId, long latencyNanos) {
    commitLatency.record(latencyNanos, TimeUnit.NANOSECONDS);
  }
}
