package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionRefusedException;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.ProtocolException;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one client session connected: connects, and after every lost connection reconnects with
 * exponential backoff and full jitter until the reconnect deadline passes, resuming the session
 * each time. A refusal that cannot be retried (unknown session, bad token...) ends the session.
 */
public final class ClientConnector {
  private static final Logger log = LoggerFactory.getLogger(ClientConnector.class);

  /** How reconnects are paced. */
  public record Backoff(Duration initial, Duration max, Duration deadline) {}

  private final SessionCore core;
  private final ClientPersistence persistence;
  private final Bootstrap bootstrap;
  private final String host;
  private final int port;
  private final Backoff backoff;
  private final byte[] credentials;
  private final int maxFrameSize;
  private final RandomGenerator random;
  private final LongSupplier nanoTime;
  private final CompletableFuture<Session> opened = new CompletableFuture<>();
  private final ConnectGate gate;
  private final ConnectionLog connectionLog;
  private final java.util.concurrent.atomic.AtomicBoolean holdingPermit =
      new java.util.concurrent.atomic.AtomicBoolean();

  // guarded by this
  private int attempt;
  private long lostAtNanos = -1;
  private Throwable lastError;

  ClientConnector(SessionCore core, ClientPersistence persistence, Bootstrap base,
      ClientPipeline pipeline,
      String host, int port, Backoff backoff, byte[] credentials, int maxFrameSize,
      RandomGenerator random, LongSupplier nanoTime, ConnectGate gate,
      ConnectionLog connectionLog) {
    this.gate = gate;
    this.connectionLog = connectionLog;
    this.core = core;
    this.persistence = persistence;
    this.bootstrap = base.clone().handler(new io.netty.channel.ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        pipeline.init(ch.pipeline(), new ClientConnectionHandler(ClientConnector.this));
      }
    });
    this.host = host;
    this.port = port;
    this.backoff = backoff;
    this.credentials = credentials;
    this.maxFrameSize = maxFrameSize;
    this.random = random;
    this.nanoTime = nanoTime;
  }

  ConnectionLog connectionLog() {
    return connectionLog;
  }

  /** Completes when the session is first established (opened or resumed). */
  CompletableFuture<Session> opened() {
    return opened;
  }

  /** Starts from a record found in the store (a re-run of the same job), if any. */
  void restoreFrom(Optional<ClientPersistence.Stored> stored) {
    stored.ifPresent(s -> core.restore(s.sessionId(), s.checkpoint()));
  }

  boolean hasSessionId() {
    return persistence.sessionId() != null;
  }

  int maxFrameSize() {
    return maxFrameSize;
  }

  String checkServerLimits(int serverMaxFrameSize) {
    if (maxFrameSize > serverMaxFrameSize) {
      return "server accepts frames up to " + serverMaxFrameSize + " bytes but this client "
          + "sends up to " + maxFrameSize + "; lower maxMessageSize to at most "
          + FrameDescriptor.maxMessageSize(serverMaxFrameSize);
    }
    return null;
  }

  Frame openOrResume() {
    if (!hasSessionId()) {
      return new Frame.Open(maxFrameSize, credentials, core.producerId(), core.producerBase());
    }
    return new Frame.Resume(persistence.sessionId(), persistence.token(), credentials,
        core.localState());
  }

  /**
   * Connects (first attempt, or a scheduled retry) as soon as the client's {@link ConnectGate}
   * lets it: at once unless many of the client's sessions are connecting.
   */
  void connect() {
    if (core.isClosed()) {
      return;
    }
    gate.submit(this::attempt);
  }

  /** Runs with a permit of the gate, given back when the attempt ends either way. */
  private void attempt() {
    holdingPermit.set(true);
    if (core.isClosed()) {
      releasePermit();
      return;
    }
    ChannelFuture f;
    try {
      f = bootstrap.connect(host, port);
    } catch (RuntimeException e) {
      releasePermit();
      throw e;
    }
    f.addListener(done -> {
      if (!done.isSuccess()) {
        connectionEnded(f.channel(), false, done.cause());
      }
    });
  }

  SessionCore opened(Channel ch, Frame.Opened frame, boolean tlsResumed) throws ProtocolException {
    core.assignId(frame.sessionId());
    core.attach(ch, null, tlsResumed, null);
    persistence.created(frame.sessionId(), frame.token(), core.producerBase()).whenComplete((v, err) -> {
      if (err != null) {
        log.warn("session {}: could not store it locally: {}", frame.sessionId(), err.toString());
      }
      opened.complete(core);
    });
    established();
    releasePermit();
    return core;
  }

  SessionCore resumed(Channel ch, Frame.Resumed frame, boolean tlsResumed)
      throws ProtocolException {
    CompletableFuture<Void> stored = persistence.tokenReplaced(frame.newToken());
    if (stored.isDone() && !stored.isCompletedExceptionally()) {
      // Stored already (a local store answers at once): CONFIRM leaves with the replayed
      // messages, in the flush attach() makes, instead of costing a TLS record and a write of
      // its own.
      ch.write(new Frame.Confirm(), ch.voidPromise());
      core.attach(ch, frame.state(), tlsResumed, null);
    } else {
      core.attach(ch, frame.state(), tlsResumed, null);
      stored.whenComplete((v, err) -> {
        if (err == null) {
          if (core.isAttachedTo(ch)) {
            ch.writeAndFlush(new Frame.Confirm(), ch.voidPromise());
          }
        } else {
          log.warn("session {}: could not store the new resume token: {}", core.id(),
              err.toString());
        }
      });
    }
    opened.complete(core);
    established();
    releasePermit();
    return core;
  }

  /**
   * The server would not resume the session (it expired or is unknown there, or this client's
   * state is an older copy). Starting over here could do the session's work twice, so the client
   * does not: the record (and outbox) stay, every later open of the key is refused the same way,
   * and the error says what the application can choose instead.
   */
  private void refusedResume(SessionRefusedException refused) {
    String key = persistence.key();
    SessionRefusedException reported = new SessionRefusedException(refused.code(),
        refusedResumeReason(refused.getMessage(), key));
    log.warn("session {} ({}) refused by {}:{}: {}", core.id(), key, host, port,
        refused.getMessage());
    core.terminate(SessionEnd.ABANDON, refused.code(), refused.getMessage(), reported);
    opened.completeExceptionally(reported);
  }

  private String refusedResumeReason(String refusal, String key) {
    return "the server refused to resume session " + core.id() + " (" + refusal + "). This "
        + "client did not start over on its own: what the server stored of that session cannot "
        + "be told apart from what it did not, so a new session could do the work twice. The "
        + "session's state stays in this client's store, and opening '" + key + "' again is "
        + "refused the same way. To start a new session under that key, call "
        + "LifelineClient.openNew(\"" + key + "\", handler)"
        + (core.producerId().length > 0 ? ": the durable outbox's unacknowledged messages are "
            + "sent in it first, and the server drops those it already stored" : "")
        + ".";
  }

  private void releasePermit() {
    if (holdingPermit.compareAndSet(true, false)) {
      gate.release();
    }
  }

  private synchronized void established() {
    attempt = 0;
    lostAtNanos = -1;
    lastError = null;
  }

  /** A connection ended, established or not: reconnect, or give up. */
  void connectionEnded(Channel ch, boolean wasEstablished, Throwable cause) {
    releasePermit();
    if (core.isClosed()) {
      return;
    }
    if (FailureReason.isCertificateRejected(cause)) {
      LifelineException e = new LifelineException("TLS handshake with " + host + ":" + port
          + " failed: " + FailureReason.of(cause, HandshakeEvent.Side.CLIENT), cause);
      log.warn("{}", e.getMessage());
      core.terminate(SessionEnd.ABANDON, ErrorCode.TIMEOUT, e.getMessage(), e);
      opened.completeExceptionally(e);
      return;
    }
    if (cause instanceof SessionRefusedException refused) {
      if (hasSessionId()) {
        refusedResume(refused);
      } else {
        log.warn("new session refused by {}:{}: {}", host, port, refused.getMessage());
        core.terminate(SessionEnd.FINISHED, refused.code(), refused.getMessage(), refused);
        opened.completeExceptionally(refused);
      }
      return;
    }
    long delayNanos;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      if (lostAtNanos < 0) {
        lostAtNanos = now;
      }
      if (cause != null) {
        lastError = cause;
      }
      long cap = Math.min(backoff.max().toNanos(),
          backoff.initial().toNanos() << Math.min(attempt, 20));
      delayNanos = attempt == 0 && wasEstablished ? 0 : cap / 2 + (long) (random.nextDouble() * cap / 2);
      attempt++;
      if (now + delayNanos - lostAtNanos > backoff.deadline().toNanos()) {
        giveUp();
        return;
      }
    }
    if (wasEstablished) {
      // One line per session would be 10,000 lines when a link under 10,000 sessions fails:
      // counted (the cause was counted by the connection handler), summarised once a minute.
      connectionLog.count("session connections lost (reconnecting)", null);
      if (ConnectionLog.detailed()) {
        log.debug("session {}: connection to {}:{} lost ({}); reconnecting", core.id(), host,
            port, FailureReason.of(cause, HandshakeEvent.Side.CLIENT));
      }
    } else {
      log.debug("connect to {}:{} failed: {}", host, port,
          FailureReason.of(cause, HandshakeEvent.Side.CLIENT));
    }
    ch.eventLoop().schedule(this::connect, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void giveUp() {
    LifelineException e = new LifelineException("could not reach " + host + ":" + port
        + " within the reconnect deadline of " + backoff.deadline()
        + (lastError != null ? ": " + FailureReason.of(lastError, HandshakeEvent.Side.CLIENT)
            : ""), lastError);
    log.warn("session {}: {}", core.id(), e.getMessage());
    core.terminate(SessionEnd.ABANDON, ErrorCode.TIMEOUT, e.getMessage(), e);
    opened.completeExceptionally(e);
  }
}
