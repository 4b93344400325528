package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineException;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a session ends in this process: the application's orderly {@code close} (wait until every
 * message is acknowledged, then CLOSE, or end when the timeout passes first), {@code abort}, and
 * {@link #terminate}, the one place every end goes through, whatever ends it ({@link SessionEnd}
 * says what the peer hears and whether the stored record goes).
 *
 * <p>Its phase is guarded by the session's monitor (the {@link SessionCore} itself), the one lock
 * of a session's state. The peer is told, futures fail and the application hears of the end only
 * after that lock is released.
 */
final class SessionEnding {
  // The session's category, so that its log reads as one whatever class of it writes.
  private static final Logger log = LoggerFactory.getLogger(SessionCore.class);

  /** Forward only: a closing session refuses sends but still delivers and resends. */
  private enum Phase {
    OPEN,
    /** The application asked for a close: CLOSE goes once everything sent is acknowledged. */
    CLOSING,
    CLOSED
  }

  private final SessionCore session;
  private final SessionConfig config;
  private final OutboundStream out;
  private final SessionSender sender;
  private final SerialExecutor app;
  private final SessionHandler handler;
  // Guarded by session.
  private Phase phase = Phase.OPEN;
  private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

  SessionEnding(SessionCore session, SessionConfig config, OutboundStream out,
      SessionSender sender, SerialExecutor app, SessionHandler handler) {
    this.session = session;
    this.config = config;
    this.out = out;
    this.sender = sender;
    this.app = app;
    this.handler = handler;
  }

  /** Whether the application may still send; the caller holds the session's lock. */
  boolean isOpenLocked() {
    assert Thread.holdsLock(session);
    return phase == Phase.OPEN;
  }

  /** Whether the session has ended; the caller holds the session's lock. */
  boolean isClosedLocked() {
    assert Thread.holdsLock(session);
    return phase == Phase.CLOSED;
  }

  CompletableFuture<Void> closeFuture() {
    return closeFuture;
  }

  /** Closes once everything sent is acknowledged; ends the session after {@code timeout}. */
  CompletableFuture<Void> close(Duration timeout) {
    synchronized (session) {
      if (phase == Phase.CLOSED) {
        return closeFuture;
      }
      phase = Phase.CLOSING;
    }
    maybeFinishClose();
    config.timer().schedule(() -> {
      if (!closeFuture.isDone()) {
        terminate(SessionEnd.TELL_PEER, ErrorCode.NORMAL, "close timed out",
            new LifelineException("close of session " + session.id() + " timed out after "
                + timeout + " with unacknowledged messages"));
      }
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    return closeFuture;
  }

  /**
   * Sends the application's CLOSE if a close is pending, everything is acknowledged and a
   * connection is there to carry it. Called after anything that may make that so.
   */
  void maybeFinishClose() {
    ConnectionPort ch;
    synchronized (session) {
      if (phase != Phase.CLOSING || out.unacknowledged() > 0) {
        return;
      }
      ch = session.connectedPortLocked();
      if (ch == null) {
        return;
      }
    }
    log.debug("session {}: closing on {}", session.id(), ch);
    ch.writeClose(new Frame.Close(ErrorCode.NORMAL, "session closed by application"),
        written -> terminate(written ? SessionEnd.CLOSE_SENT : SessionEnd.FINISHED,
            ErrorCode.NORMAL, "closed", null));
  }

  void abort() {
    terminate(SessionEnd.ABANDON, ErrorCode.GOING_AWAY, "aborted",
        new LifelineException("session " + session.id() + " aborted"));
  }

  /** See {@link SessionCore#terminate}. */
  void terminate(SessionEnd how, ErrorCode code, String reason, Throwable cause) {
    ConnectionPort ch;
    synchronized (session) {
      if (phase == Phase.CLOSED) {
        return;
      }
      phase = Phase.CLOSED;
      ch = session.releaseConnectionLocked();
      if (log.isDebugEnabled()) {
        log.debug("session {}: terminated on {}: {} {} ({})", session.id(), ch, code, reason, how);
      }
    }
    boolean lingering = ch != null && tellPeer(ch, how.notice(), code, reason);
    sender.failOutstanding(cause != null ? cause
        : new LifelineException("session " + session.id() + " closed"));
    session.persistence().released(session, how.forget());
    session.outboxReleased(how.forget());
    app.execute(() -> handler.onClosed(session, cause));
    Runnable complete = () -> {
      if (cause == null) {
        closeFuture.complete(null);
      } else {
        closeFuture.completeExceptionally(cause);
      }
    };
    if (lingering) {
      // Done once the connection is: a process that exits when its close completes would
      // otherwise cut the connection itself, with the reset described at ChannelPort.
      ch.whenClosed(() -> app.execute(complete));
    } else {
      complete.run();
    }
  }

  /** Tells the peer as {@code notice} says; whether the connection waits for the peer to close. */
  private static boolean tellPeer(ConnectionPort ch, SessionEnd.Notice notice, ErrorCode code,
      String reason) {
    switch (notice) {
      case SEND_CLOSE -> {
        ch.writeClose(new Frame.Close(code, reason), written -> {
          if (!written) {
            ch.close();
          }
        });
        return ch.closeAfterPeer();
      }
      case CLOSE_ALREADY_SENT -> {
        return ch.closeAfterPeer();
      }
      default -> {
        ch.close();
        return false;
      }
    }
  }
}
