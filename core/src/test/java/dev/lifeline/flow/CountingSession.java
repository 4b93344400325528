package dev.lifeline.flow;

import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionStats;
import dev.lifeline.store.Checkpoint;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real session seen through a recorder: the bytes sent, the {@code trySend}s refused (a
 * subscriber that asks for an item only while the replay buffer has room never sees one when it
 * is the only sender), and the {@code onWritable} waits, so a test can show the backpressure
 * happened and held.
 */
final class CountingSession implements Session {
  final AtomicLong sentBytes = new AtomicLong();
  final AtomicLong ackedMessages = new AtomicLong();
  final AtomicInteger refusedSends = new AtomicInteger();
  final AtomicInteger writableWaits = new AtomicInteger();
  final CountDownLatch firstWait = new CountDownLatch(1);
  // The number of the trySend call to refuse once as if another sender had taken the room; 0
  // for none.
  volatile long refuseCall;
  private final AtomicLong calls = new AtomicLong();
  private final Session session;

  CountingSession(Session session) {
    this.session = session;
  }

  @Override
  public CompletableFuture<Void> trySend(ByteBuffer message) throws LifelineException {
    int length = message.remaining();
    if (calls.incrementAndGet() == refuseCall) {
      refusedSends.incrementAndGet();
      return null;
    }
    CompletableFuture<Void> acked = session.trySend(message);
    if (acked == null) {
      refusedSends.incrementAndGet();
      return null;
    }
    sentBytes.addAndGet(length);
    acked.thenRun(ackedMessages::incrementAndGet);
    return acked;
  }

  @Override
  public void onWritable(Runnable task) {
    writableWaits.incrementAndGet();
    firstWait.countDown();
    session.onWritable(task);
  }

  @Override
  public CompletableFuture<Void> send(ByteBuffer message)
      throws InterruptedException, LifelineException {
    throw new AssertionError("a Flow subscriber must not block in send");
  }

  @Override
  public CompletableFuture<Void> send(byte[] message) {
    throw new AssertionError("a Flow subscriber must not block in send");
  }

  @Override
  public CompletableFuture<Void> trySend(byte[] message) throws LifelineException {
    return trySend(ByteBuffer.wrap(message));
  }

  @Override
  public String id() {
    return session.id();
  }

  @Override
  public long handedOver() {
    return session.handedOver();
  }

  @Override
  public boolean isWritable() {
    return session.isWritable();
  }

  @Override
  public int maxMessageSize() {
    return session.maxMessageSize();
  }

  @Override
  public void setAutoAck(boolean autoAck) {
    session.setAutoAck(autoAck);
  }

  @Override
  public CompletableFuture<Void> checkpoint(long position, byte[] state) {
    return session.checkpoint(position, state);
  }

  @Override
  public Checkpoint lastCheckpoint() {
    return session.lastCheckpoint();
  }

  @Override
  public byte[] attributes() {
    return session.attributes();
  }

  @Override
  public CompletableFuture<Void> setAttributes(byte[] attributes) {
    return session.setAttributes(attributes);
  }

  @Override
  public boolean isConnected() {
    return session.isConnected();
  }

  @Override
  public void runInOrder(Runnable task) {
    session.runInOrder(task);
  }

  @Override
  public SessionStats stats() {
    return session.stats();
  }

  @Override
  public CompletableFuture<Void> close(Duration timeout) {
    return session.close(timeout);
  }

  @Override
  public void abort() {
    session.abort();
  }

  @Override
  public CompletableFuture<Void> closeFuture() {
    return session.closeFuture();
  }
}
