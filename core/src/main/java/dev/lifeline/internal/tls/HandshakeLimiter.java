package dev.lifeline.internal.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds how many TLS handshakes a server runs at once. One instance per connection, sharing one
 * {@link Slots}. A connection takes a slot when it becomes active and gives it back when its
 * handshake completes or fails, or when it closes, whichever comes first.
 *
 * <p>A connection that finds no free slot waits for one, not reading (so its ClientHello costs
 * nothing yet), in arrival order; the {@code SslHandler}'s handshake timeout keeps running while
 * it waits. A reconnect storm (every client of a restarted node, every connection of a failed
 * link) is thus worked off at the speed the server can do handshakes, instead of being refused
 * and retried after backoff. Only when {@link Slots#maxWaiting} connections are already waiting
 * is a connection closed at once, counted, and marked with {@link #REJECTED} so that the
 * {@link HandshakeClassifier} reports why its handshake failed. Handlers behind this one see
 * {@code channelActive} only when the connection got its slot, a rejected one never.
 *
 * <p>Sits behind the {@code SslHandler} so that it sees the handshake completion event.
 */
final class HandshakeLimiter extends ChannelInboundHandlerAdapter {
  /** Set on a channel the limiter closed; the value is the reason. */
  static final AttributeKey<String> REJECTED =
      AttributeKey.valueOf(HandshakeLimiter.class, "rejected");

  private static final int NEW = 0;
  private static final int WAITING = 1;
  private static final int HOLDING = 2;
  private static final int DONE = 3;

  /** The shared budget of concurrent handshakes, and the connections waiting for one. */
  static final class Slots {
    private final int max;
    private final int maxWaiting;
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger waitingCount = new AtomicInteger();
    private final Queue<HandshakeLimiter> waiting = new ConcurrentLinkedQueue<>();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder queued = new LongAdder();

    Slots(int max) {
      this(max, 0);
    }

    Slots(int max, int maxWaiting) {
      this.max = max;
      this.maxWaiting = maxWaiting;
    }

    boolean tryAcquire() {
      for (;;) {
        int current = inUse.get();
        if (current >= max) {
          return false;
        }
        if (inUse.compareAndSet(current, current + 1)) {
          return true;
        }
      }
    }

    void release() {
      inUse.decrementAndGet();
      handOver();
    }

    /**
     * Gives free slots to waiting connections, oldest first. Called after every change that can
     * make a slot and a waiter meet (a release, a new waiter), so neither is left behind.
     */
    void handOver() {
      while (!waiting.isEmpty() && tryAcquire()) {
        boolean given = false;
        for (HandshakeLimiter next; !given && (next = waiting.poll()) != null; ) {
          given = next.grant();
        }
        if (!given) {
          inUse.decrementAndGet(); // only closed waiters were left; look again
        }
      }
    }

    int inUse() {
      return inUse.get();
    }

    int max() {
      return max;
    }

    int maxWaiting() {
      return maxWaiting;
    }

    /** Connections waiting for a slot now. */
    int waiting() {
      return waitingCount.get();
    }

    long rejected() {
      return rejected.sum();
    }

    /** Connections that had to wait for a slot, since start. */
    long queued() {
      return queued.sum();
    }
  }

  private final Slots slots;
  private static final AtomicIntegerFieldUpdater<HandshakeLimiter> STATE =
      AtomicIntegerFieldUpdater.newUpdater(HandshakeLimiter.class, "state");
  private volatile int state = NEW;
  private ChannelHandlerContext ctx;

  HandshakeLimiter(Slots slots) {
    this.slots = slots;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive()) {
      admit(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (admit(ctx)) {
      ctx.fireChannelActive();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent) {
      giveBack();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    giveBack();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    giveBack();
  }

  /** Returns whether the connection may proceed now. */
  private boolean admit(ChannelHandlerContext ctx) {
    if (!STATE.compareAndSet(this, NEW, HOLDING)) {
      return state == HOLDING
          || (state == DONE && ctx.channel().attr(REJECTED).get() == null);
    }
    if (slots.tryAcquire()) {
      return true;
    }
    // No slot: wait for one, not reading, unless too many are waiting already.
    if (slots.waitingCount.incrementAndGet() > slots.maxWaiting) {
      slots.waitingCount.decrementAndGet();
      STATE.set(this, DONE);
      slots.rejected.increment();
      ctx.channel().attr(REJECTED).set("rejected: " + slots.max()
          + " concurrent handshakes in progress and " + slots.maxWaiting()
          + " connections waiting (limits: maxConcurrentHandshakes, maxWaitingHandshakes)");
      ctx.close();
      return false;
    }
    slots.queued.increment();
    ctx.channel().config().setAutoRead(false);
    STATE.set(this, WAITING);
    slots.waiting.add(this);
    slots.handOver();
    return false;
  }

  /** Called by whoever freed a slot: takes it if still waiting, and resumes on the event loop. */
  private boolean grant() {
    if (!STATE.compareAndSet(this, WAITING, HOLDING)) {
      return false; // closed while waiting
    }
    slots.waitingCount.decrementAndGet();
    ctx.executor().execute(() -> {
      if (state == HOLDING && ctx.channel().isActive()) {
        ctx.fireChannelActive();
        ctx.channel().config().setAutoRead(true);
      }
    });
    return true;
  }

  private void giveBack() {
    if (STATE.compareAndSet(this, WAITING, DONE)) {
      slots.waitingCount.decrementAndGet(); // its queue entry is skipped when reached
    } else if (STATE.compareAndSet(this, HOLDING, DONE)) {
      slots.release();
    } else {
      STATE.compareAndSet(this, NEW, DONE);
    }
  }
}
