package dev.lifeline.internal.session;

import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Limits and shared resources every session of one endpoint uses.
 *
 * @param maxMessageSize largest message a sender accepts
 * @param replayBufferBytes bound on unacknowledged outbound bytes per session
 * @param inboundQueueBytes memory of received messages waiting for the handler (the read
 *     buffers they keep alive, {@code Frame.Data#memory()}) before reading pauses
 * @param appExecutor runs application callbacks (serialised per session)
 * @param timer for close timeouts and other delayed work
 * @param autoAcknowledge the endpoint's acknowledgement mode: false makes every session a durable
 *     receiver whatever its handler declares
 * @param durableOutbox whether sessions keep what they send in a durable outbox in the store
 * @param replayGrowth how far each session's replay buffer may grow past {@code
 *     replayBufferBytes} on a long fat path, and the endpoint's budget for it all
 */
public record SessionConfig(
    int maxMessageSize,
    long replayBufferBytes,
    long inboundQueueBytes,
    Executor appExecutor,
    ScheduledExecutorService timer,
    boolean autoAcknowledge,
    boolean durableOutbox,
    ReplayGrowth replayGrowth) {

  /** A replay buffer that never grows past {@code replayBufferBytes}. */
  public SessionConfig(int maxMessageSize, long replayBufferBytes, long inboundQueueBytes,
      Executor appExecutor, ScheduledExecutorService timer, boolean autoAcknowledge,
      boolean durableOutbox) {
    this(maxMessageSize, replayBufferBytes, inboundQueueBytes, appExecutor, timer,
        autoAcknowledge, durableOutbox, ReplayGrowth.fixed(replayBufferBytes));
  }

  /** Acknowledgement on receipt unless the handler says otherwise; no outbox. */
  public SessionConfig(int maxMessageSize, long replayBufferBytes, long inboundQueueBytes,
      Executor appExecutor, ScheduledExecutorService timer) {
    this(maxMessageSize, replayBufferBytes, inboundQueueBytes, appExecutor, timer, true, false);
  }
}
