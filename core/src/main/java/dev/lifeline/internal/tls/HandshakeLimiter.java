package dev.lifeline.internal.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds how many TLS handshakes a server runs at once. One instance per connection, sharing one
 * {@link Slots}. A connection takes a slot when it becomes active and gives it back when its
 * handshake completes or fails, or when it closes, whichever comes first. A connection that finds
 * no free slot is closed at once, counted, and marked with {@link #REJECTED} so that the
 * {@link HandshakeClassifier} reports why its handshake failed; it never sees
 * {@code channelActive}.
 *
 * <p>Sits behind the {@code SslHandler} so that it sees the handshake completion event.
 */
final class HandshakeLimiter extends ChannelInboundHandlerAdapter {
  /** Set on a channel the limiter closed; the value is the reason. */
  static final AttributeKey<String> REJECTED =
      AttributeKey.valueOf(HandshakeLimiter.class, "rejected");

  /** The shared budget of concurrent handshakes. */
  static final class Slots {
    private final int max;
    private final AtomicInteger inUse = new AtomicInteger();
    private final LongAdder rejected = new LongAdder();

    Slots(int max) {
      this.max = max;
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
    }

    int inUse() {
      return inUse.get();
    }

    int max() {
      return max;
    }

    long rejected() {
      return rejected.sum();
    }
  }

  private final Slots slots;
  private boolean admitted; // a slot was taken, or the connection was rejected
  private boolean holding; // a slot is held and not yet given back

  HandshakeLimiter(Slots slots) {
    this.slots = slots;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
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

  /** Returns whether the connection may proceed. */
  private boolean admit(ChannelHandlerContext ctx) {
    if (admitted) {
      return holding || ctx.channel().attr(REJECTED).get() == null;
    }
    admitted = true;
    if (slots.tryAcquire()) {
      holding = true;
      return true;
    }
    slots.rejected.increment();
    ctx.channel().attr(REJECTED).set("rejected: " + slots.max()
        + " concurrent handshakes in progress (limit: maxConcurrentHandshakes)");
    ctx.close();
    return false;
  }

  private void giveBack() {
    if (holding) {
      holding = false;
      slots.release();
    }
  }
}
