package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.SessionStats;
import dev.lifeline.store.Checkpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A session for driving a transfer's handler directly, one callback at a time on the test's
 * thread: it records what the handler sends and the checkpoints it commits, and enforces the
 * position rules of the real session ({@code SessionCore.checkpoint}), so a test can put a rewind
 * exactly where it wants one. A rewind here is the part the session does on its own thread
 * ({@link #rewindStream}); the test then calls the handler's rewind callback itself.
 */
final class FakeSession implements Session {
  private final String id;
  private final List<byte[]> sent = Collections.synchronizedList(new ArrayList<>());
  private final List<Checkpoint> committed = Collections.synchronizedList(new ArrayList<>());
  // guarded by this
  private long delivered;
  private Checkpoint lastCheckpoint = Checkpoint.NONE;
  private boolean storeCompletes = true;
  private long rewinds;
  // Tasks given to runInOrder, when queued (see queueTasks); null runs them at once.
  private volatile java.util.Queue<Runnable> tasks;

  FakeSession(String id) {
    this.id = id;
  }

  /**
   * From now on, tasks given to {@link #runInOrder} wait for {@link #runQueued} on the test's
   * thread, as the real session runs them on its one ordered thread. Run where they were handed
   * over (a timer's checkpoint, a failed background sync's report) they would race the test's
   * thread, and a sync's failure report would wait for that very sync to end (a hang seen in the
   * fuzz test on a loaded machine).
   */
  FakeSession queueTasks() {
    tasks = new java.util.concurrent.ConcurrentLinkedQueue<>();
    return this;
  }

  /** Runs the tasks queued so far, on the caller's thread. */
  void runQueued() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      task.run();
    }
  }

  /** The session is about to hand the handler message {@code seq}. */
  synchronized void deliver(long seq) {
    delivered = seq;
  }

  /**
   * What the session does when the stream rewinds to this side's last durable checkpoint (a
   * restart of the peer): the next message is its position + 1, checkpoints beyond it are refused.
   */
  synchronized Checkpoint rewindStream() {
    delivered = lastCheckpoint.position();
    return lastCheckpoint;
  }

  /** The outbound stream was rewound: the next send would throw, as after a peer's restart. */
  synchronized void countOutboundRewind() {
    rewinds++;
  }

  /** Whether commits become durable (false: a slow store, their futures never complete). */
  synchronized void storeCompletes(boolean completes) {
    storeCompletes = completes;
  }

  List<byte[]> sent() {
    return sent;
  }

  /** Every checkpoint the handler committed, durable or not, in order. */
  List<Checkpoint> committed() {
    return committed;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public CompletableFuture<Void> send(byte[] message) {
    sent.add(message);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> trySend(byte[] message) {
    return send(message);
  }

  @Override
  public boolean isWritable() {
    return true;
  }

  @Override
  public void onWritable(Runnable task) {
    task.run();
  }

  @Override
  public long handedOver() {
    return sent.size();
  }

  @Override
  public int maxMessageSize() {
    return 1 << 20;
  }

  @Override
  public void setAutoAck(boolean autoAck) {}

  @Override
  public synchronized CompletableFuture<Void> checkpoint(long position, byte[] state) {
    if (position > delivered) {
      throw new IllegalArgumentException("position: " + position
          + " (expected: <= last delivered message " + delivered + ")");
    }
    if (position < lastCheckpoint.position()) {
      throw new IllegalArgumentException("position: " + position
          + " (expected: >= last checkpoint " + lastCheckpoint.position() + ")");
    }
    Checkpoint cp = Checkpoint.of(position, state);
    committed.add(cp);
    if (!storeCompletes) {
      return new CompletableFuture<>();
    }
    lastCheckpoint = cp;
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized Checkpoint lastCheckpoint() {
    return lastCheckpoint;
  }

  @Override
  public byte[] attributes() {
    return new byte[0];
  }

  @Override
  public CompletableFuture<Void> setAttributes(byte[] attributes) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public boolean isConnected() {
    return true;
  }

  @Override
  public void runInOrder(Runnable task) {
    java.util.Queue<Runnable> queue = tasks;
    if (queue != null) {
      queue.add(task);
    } else {
      task.run();
    }
  }

  @Override
  public synchronized SessionStats stats() {
    return new SessionStats(0, 0, rewinds, 1, 0, 0, 0, 1 << 20);
  }

  @Override
  public CompletableFuture<Void> close(Duration timeout) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void abort() {}

  @Override
  public CompletableFuture<Void> closeFuture() {
    return new CompletableFuture<>();
  }
}
