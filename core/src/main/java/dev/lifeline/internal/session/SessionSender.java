package dev.lifeline.internal.session;

import dev.lifeline.LifelineException;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.store.Checkpoint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The application's side of a session's outbound stream: {@code send} and {@code trySend} append
 * to the {@link OutboundStream}, a blocking send waits for room in the replay buffer, and {@code
 * onWritable} tasks wait for that room without a thread. The {@link SessionCore} delegates its
 * {@link dev.lifeline.Session} methods here and tells it when room may have appeared.
 *
 * <p>Everything here is guarded by the session's monitor (the {@link SessionCore} itself), the
 * one lock of a session's state: a blocking send {@code wait()}s on it, and the session {@code
 * notifyAll()}s when an ACK frees room, a connection is attached or the session ends. Tasks run
 * and futures complete only after it is released.
 */
final class SessionSender {
  private final SessionCore session;
  private final SessionConfig config;
  private final OutboundStream out;
  private final SerialExecutor app;
  // onWritable tasks waiting for room; guarded by session.
  private final List<Runnable> writableTasks = new ArrayList<>();

  SessionSender(SessionCore session, SessionConfig config, OutboundStream out, SerialExecutor app) {
    this.session = session;
    this.config = config;
    this.out = out;
    this.app = app;
  }

  CompletableFuture<Void> send(byte[] message) throws InterruptedException, LifelineException {
    checkSize(message.length);
    return enqueue(Unpooled.wrappedBuffer(message), true);
  }

  CompletableFuture<Void> send(ByteBuffer message) throws InterruptedException, LifelineException {
    checkSize(message.remaining());
    return enqueue(Unpooled.wrappedBuffer(message.duplicate()), true);
  }

  CompletableFuture<Void> trySend(byte[] message) throws LifelineException {
    checkSize(message.length);
    return tryEnqueue(Unpooled.wrappedBuffer(message));
  }

  CompletableFuture<Void> trySend(ByteBuffer message) throws LifelineException {
    checkSize(message.remaining());
    return tryEnqueue(Unpooled.wrappedBuffer(message.duplicate()));
  }

  private CompletableFuture<Void> tryEnqueue(ByteBuf payload) throws LifelineException {
    try {
      return enqueue(payload, false);
    } catch (InterruptedException e) {
      throw new AssertionError("a non-blocking enqueue waited", e);
    }
  }

  /**
   * Appends {@code payload} (which wraps the caller's memory, never copied) to the replay buffer;
   * {@code block} waits for room, otherwise a full buffer returns null.
   */
  private CompletableFuture<Void> enqueue(ByteBuf payload, boolean block)
      throws InterruptedException, LifelineException {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    int length = payload.readableBytes();
    boolean appended = false;
    try {
      synchronized (session) {
        while (true) {
          checkSendable();
          if (out.hasRoom(length)) {
            break;
          }
          out.noRoom(session.connectedPortLocked() != null);
          if (!block) {
            return null;
          }
          if (Thread.currentThread() instanceof FastThreadLocalThread) {
            throw new IllegalStateException(
                "send() would block an I/O thread; use trySend() and onWritable()");
          }
          session.wait();
        }
        ReplayBuffer.Entry entry = new ReplayBuffer.Entry(out.nextSeq(), payload, acked);
        out.append(entry);
        appended = true;
        session.appendedLocked(entry);
      }
    } finally {
      if (!appended) {
        payload.release();
      }
    }
    session.scheduleWrite();
    return acked;
  }

  private void checkSize(int length) {
    if (length > config.maxMessageSize()) {
      throw new IllegalArgumentException("message: " + length + " bytes (expected: <= "
          + config.maxMessageSize() + ")");
    }
  }

  /** Under the session's lock: a closing session and a rewind not yet reported refuse a send. */
  private void checkSendable() throws LifelineException {
    if (!session.acceptsSendsLocked()) {
      throw new LifelineException("session " + session.id() + " is closed");
    }
    Checkpoint rewound = out.takePendingRewind();
    if (rewound != null) {
      throw new StreamRewoundException(rewound);
    }
  }

  boolean isWritable() {
    synchronized (session) {
      return !session.isClosedLocked() && out.hasRoom(config.maxMessageSize());
    }
  }

  void onWritable(Runnable task) {
    synchronized (session) {
      if (!out.hasRoom(config.maxMessageSize())) {
        out.noRoom(session.connectedPortLocked() != null);
      }
      writableTasks.add(task);
    }
    runWritableTasksIfRoom();
  }

  /**
   * Runs the waiting {@code onWritable} tasks if a message of the maximum size now fits, or the
   * session is closed (they then find out by sending). Called after anything that frees room.
   */
  void runWritableTasksIfRoom() {
    List<Runnable> run;
    synchronized (session) {
      if (writableTasks.isEmpty()
          || !(session.isClosedLocked() || out.hasRoom(config.maxMessageSize()))) {
        return;
      }
      run = takeWritableTasks();
    }
    run.forEach(app::execute);
  }

  /**
   * The session ended: fails every message not yet acknowledged with {@code cause} and runs the
   * waiting {@code onWritable} tasks, which find the session closed.
   */
  void failOutstanding(Throwable cause) {
    List<CompletableFuture<Void>> dropped;
    List<Runnable> tasks;
    synchronized (session) {
      dropped = out.clear();
      out.releaseWindow();
      tasks = takeWritableTasks();
    }
    dropped.forEach(f -> f.completeExceptionally(cause));
    tasks.forEach(app::execute);
  }

  private List<Runnable> takeWritableTasks() {
    List<Runnable> tasks = new ArrayList<>(writableTasks);
    writableTasks.clear();
    return tasks;
  }
}
