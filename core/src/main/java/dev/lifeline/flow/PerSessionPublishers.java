package dev.lifeline.flow;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.Checkpoint;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The handler {@link SessionPublisher#perSession} returns: one {@link SessionPublisher} per
 * session, created at the session's first callback (its {@code onOpen} on a server, or the first
 * callback of a session restored after a restart, which has none) and forgotten at its end.
 * Keyed by session id: a session keeps its id across reconnects and restarts.
 */
final class PerSessionPublishers implements SessionHandler {
  private final BiConsumer<Session, SessionPublisher> subscribe;
  private final Map<String, SessionPublisher> publishers = new ConcurrentHashMap<>();

  PerSessionPublishers(BiConsumer<Session, SessionPublisher> subscribe) {
    this.subscribe = subscribe;
  }

  /** The session's publisher, created (and handed to the application) at its first callback. */
  private SessionPublisher publisher(Session session) {
    SessionPublisher existing = publishers.get(session.id());
    if (existing != null) {
      return existing;
    }
    // Callbacks of one session run one at a time, so no other thread creates this one.
    SessionPublisher created = new SessionPublisher();
    publishers.put(session.id(), created);
    created.onOpen(session);
    subscribe.accept(session, created);
    return created;
  }

  @Override
  public void onOpen(Session session) {
    publisher(session);
  }

  @Override
  public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
    publisher(session).onMessage(session, seq, message);
  }

  @Override
  public void onInboundRewind(Session session, Checkpoint checkpoint) {
    publisher(session);
  }

  @Override
  public void onClosed(Session session, Throwable cause) {
    SessionPublisher publisher = publishers.remove(session.id());
    if (publisher != null) {
      publisher.onClosed(session, cause);
    }
  }
}
