package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Messages from the connection to the application: a DATA frame is taken into the {@link
 * InboundStream} on the event loop, handed to the {@link SessionHandler} in order on the
 * application thread (through the session's {@link SerialExecutor}), and reading pauses while
 * the messages waiting for the application hold more than {@code inboundQueueBytes}, resuming
 * once they are down to half.
 *
 * <p>Guarded by the session's monitor (the {@link SessionCore} itself), the one lock of a
 * session's state. The handler runs and reading resumes only outside it; pausing reading, a
 * non-blocking change of the channel's settings on the event loop, happens under it, as the
 * session's Netty writes do.
 */
final class InboundDelivery {
  // The session's category, so that its log reads as one whatever class of it writes.
  private static final Logger log = LoggerFactory.getLogger(SessionCore.class);

  private final SessionCore session;
  private final SessionConfig config;
  private final InboundStream in;
  private final SerialExecutor app;
  private final SessionHandler handler;
  // Reading is paused because the application is behind; guarded by session.
  private boolean readPaused;

  InboundDelivery(SessionCore session, SessionConfig config, InboundStream in, SerialExecutor app,
      SessionHandler handler) {
    this.session = session;
    this.config = config;
    this.in = in;
    this.app = app;
    this.handler = handler;
  }

  /** A new connection reads from the start; the caller holds the session's lock. */
  void connectionChangedLocked() {
    assert Thread.holdsLock(session);
    readPaused = false;
  }

  boolean isReadPaused() {
    synchronized (session) {
      return readPaused;
    }
  }

  /** A DATA frame arrived on {@code ch}. Takes ownership of {@code data}. Event loop. */
  void onData(ConnectionPort ch, Frame.Data data) throws ProtocolException {
    long epoch;
    int length = data.payload().readableBytes();
    long memory = data.memory();
    synchronized (session) {
      if (in.isDuplicate(data.seq()) || !session.isAttachedLocked(ch)) {
        data.release();
        return;
      }
      try {
        // Memory, not payload: a small message can keep a whole read buffer alive (FrameDecoder).
        epoch = in.accept(data.seq(), memory);
      } catch (ProtocolException e) {
        data.release();
        throw e;
      }
      if (in.queuedMemory() > config.inboundQueueBytes() && !readPaused) {
        readPaused = true;
        ch.pauseReading();
      }
    }
    app.execute(() -> deliver(data, epoch, length, memory));
  }

  /** On the application thread: hands one message over unless a rewind or the end dropped it. */
  private void deliver(Frame.Data data, long epoch, int length, long memory) {
    try {
      boolean covered;
      synchronized (session) {
        if (!in.isCurrent(epoch) || session.isClosedLocked()) {
          return;
        }
        covered = !in.beginHandOver(data.seq());
      }
      if (!covered) {
        try {
          handOver(data);
        } catch (Exception | Error e) {
          log.warn("session {}: handler failed on message {}: {}", session.id(), data.seq(),
              e.toString());
          session.terminate(SessionEnd.TELL_PEER, ErrorCode.APPLICATION_ERROR,
              "application failed: " + e, e);
          return;
        }
        synchronized (session) {
          in.handedOver(data.seq(), epoch, length);
        }
      }
    } finally {
      data.release();
      resumeReadingIfDrained(memory);
    }
    session.scheduleWrite();
  }

  /**
   * Gives a message to the handler without copying it where possible: a payload in one piece as
   * is; one in several pieces (a large message assembled by the frame decoder from the TLS reads
   * it came in) to a {@link PiecewiseHandler} as those pieces, and to any other handler copied
   * here, on the application thread, into one reused buffer ({@link FlatBuffers}).
   */
  private void handOver(Frame.Data data) throws Exception {
    ByteBuf payload = data.payload();
    if (payload.nioBufferCount() <= 1) {
      handler.onMessage(session, data.seq(), payload.nioBuffer());
    } else if (handler instanceof PiecewiseHandler pieces) {
      pieces.onMessagePieces(session, data.seq(), payload.nioBuffers());
    } else {
      handler.onMessage(session, data.seq(), FlatBuffers.of(payload));
    }
  }

  private void resumeReadingIfDrained(long memory) {
    ConnectionPort ch;
    synchronized (session) {
      in.released(memory);
      ch = session.portLocked();
      if (!readPaused || in.queuedMemory() > config.inboundQueueBytes() / 2 || ch == null) {
        return;
      }
      readPaused = false;
    }
    ch.resumeReading();
  }
}
