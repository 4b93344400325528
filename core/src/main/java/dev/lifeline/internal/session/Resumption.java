package dev.lifeline.internal.session;

import dev.lifeline.SessionHandler;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.store.Checkpoint;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a resume does to the session's streams: the {@link ResumePlan} computed from both sides'
 * states applied to the {@link OutboundStream} (replay from where the peer is, or rewind to its
 * checkpoint) and the {@link InboundStream} (rewind to this side's checkpoint), and then, outside
 * the lock, the messages a rewind dropped failed and the application told. {@link
 * SessionCore#attach} calls it while binding the session to its new connection.
 *
 * <p>Guarded by the session's monitor (the {@link SessionCore} itself), the one lock of a
 * session's state: the {@code …Locked} methods run under it, {@link #report} after it.
 */
final class Resumption {
  // The session's category, so that its log reads as one whatever class of it writes.
  private static final Logger log = LoggerFactory.getLogger(SessionCore.class);

  /**
   * What a resume changed, for what follows outside the lock: the connection replaced, the
   * futures of messages dropped by an outbound rewind, and the checkpoints each stream rewound to
   * (null if it continues).
   */
  record Rebound(ConnectionPort old, List<CompletableFuture<Void>> rewound,
      Checkpoint outboundRewind, Checkpoint inboundRewind) {}

  private final SessionCore session;
  private final OutboundStream out;
  private final InboundStream in;
  private final SerialExecutor app;
  private final SessionHandler handler;
  private final CheckpointCommits commits;
  // Loaded from a store by this process: the first resume rewinds the inbound stream too.
  // Guarded by session.
  private boolean restored;

  Resumption(SessionCore session, OutboundStream out, InboundStream in, SerialExecutor app,
      SessionHandler handler, CheckpointCommits commits) {
    this.session = session;
    this.out = out;
    this.in = in;
    this.app = app;
    this.handler = handler;
    this.commits = commits;
  }

  /** The session was loaded from a store; the caller holds the session's lock. */
  void restoredLocked() {
    assert Thread.holdsLock(session);
    restored = true;
  }

  /**
   * The state this side answers a RESUME with, from its snapshot {@code mine}; the caller holds
   * the session's lock.
   */
  Frame.StreamState answerLocked(Frame.StreamState mine, Frame.StreamState peer) {
    assert Thread.holdsLock(session);
    if (peer.received() >= out.nextSeq()) {
      // The peer holds more of this stream than this side sent since its last rewind: this
      // side restarted and rewound, and the connection was cut before the peer took in that
      // RESUMED. Nothing can continue; rewind again to the peer's checkpoint, and say so in
      // the answer (as a side that lost its buffer), so the peer rewinds its inbound stream.
      return new Frame.StreamState(mine.received(), mine.checkpointSeq(),
          mine.checkpointState(), FrameDescriptor.NO_REPLAY);
    }
    return mine;
  }

  /**
   * Applies the resume plan of {@code mine} and {@code peer} (null for a new session, which
   * continues as it is) to both streams; the caller holds the session's lock.
   *
   * @throws ProtocolException if the peer's state contradicts this side's
   */
  Rebound applyLocked(ConnectionPort ch, ConnectionPort old, Frame.StreamState mine,
      Frame.StreamState peer) throws ProtocolException {
    assert Thread.holdsLock(session);
    List<CompletableFuture<Void>> rewound = List.of();
    Checkpoint outboundRewind = null;
    Checkpoint inboundRewind = null;
    if (peer != null) {
      ResumePlan plan = ResumePlan.of(mine, peer);
      if (plan.outboundRewind()) {
        outboundRewind = Checkpoint.of(peer.checkpointSeq(), peer.checkpointState());
        rewound = out.rewindTo(outboundRewind); // plan.replayFrom() is right after it
        session.outboundRestartedLocked(outboundRewind.position() + 1);
      } else {
        out.replayFrom(plan.replayFrom());
      }
      if (plan.inboundRewind() || restored) {
        inboundRewind = in.rewind();
      }
      if (log.isDebugEnabled()) {
        log.debug("session {}: resumed on {} (replacing {}): mine {} peer {} plan {}",
            session.id(), ch, old, mine, peer, plan);
      }
    }
    restored = false;
    return new Rebound(old, rewound, outboundRewind, inboundRewind);
  }

  /** Fails the messages a rewind dropped and tells the application what the resume did. */
  void report(Rebound r, boolean resumed) {
    Checkpoint outbound = r.outboundRewind();
    StreamRewoundException rewindCause =
        outbound == null ? null : new StreamRewoundException(outbound);
    for (CompletableFuture<Void> f : r.rewound()) {
      f.completeExceptionally(rewindCause);
    }
    if (r.inboundRewind() != null) {
      // A checkpoint asked for before the rewind (or by a message of the old stream still in the
      // handler) may still land. The store only moves forward, so once it lands it is what a
      // restart resumes from: the application must not discard what it covers. Report the
      // rewind once those commits settled, at the checkpoint they leave (see
      // CheckpointCommits).
      app.executeWhen(commits::settled,
          () -> handler.onInboundRewind(session, session.lastCheckpoint()));
    }
    if (resumed) {
      app.execute(() -> handler.onResumed(session));
    }
    if (outbound != null) {
      log.info("session {}: outbound stream rewound to peer checkpoint {}", session.id(),
          outbound.position());
      app.execute(() -> handler.onOutboundRewind(session, outbound));
    }
  }
}
