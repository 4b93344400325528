package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.ServerEventListener;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls each of several {@link ServerEventListener}s in turn; one that throws is logged and does
 * not stop the others or the server.
 */
public final class SafeServerEvents implements ServerEventListener {
  private static final Logger log = LoggerFactory.getLogger(SafeServerEvents.class);

  private final List<ServerEventListener> listeners;

  public SafeServerEvents(List<ServerEventListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  private interface Call {
    void on(ServerEventListener l);
  }

  private void each(String what, Call call) {
    for (ServerEventListener l : listeners) {
      try {
        call.on(l);
      } catch (RuntimeException e) {
        log.warn("server event listener {} failed on {}: {}", l, what, e.toString());
      }
    }
  }

  @Override
  public void sessionOpened(String sessionId, String identity) {
    each("sessionOpened", l -> l.sessionOpened(sessionId, identity));
  }

  @Override
  public void resumeSucceeded(String sessionId, long latencyNanos) {
    each("resumeSucceeded", l -> l.resumeSucceeded(sessionId, latencyNanos));
  }

  @Override
  public void resumeRefused(String sessionId, ErrorCode code, long latencyNanos) {
    each("resumeRefused", l -> l.resumeRefused(sessionId, code, latencyNanos));
  }

  @Override
  public void sessionDisconnected(String sessionId, String reason) {
    each("sessionDisconnected", l -> l.sessionDisconnected(sessionId, reason));
  }

  @Override
  public void replayed(String sessionId, long bytes) {
    each("replayed", l -> l.replayed(sessionId, bytes));
  }

  @Override
  public void checkpointCommitted(String sessionId, long latencyNanos) {
    each("checkpointCommitted", l -> l.checkpointCommitted(sessionId, latencyNanos));
  }

  @Override
  public void sessionClosed(String sessionId) {
    each("sessionClosed", l -> l.sessionClosed(sessionId));
  }
}
