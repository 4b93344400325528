package dev.lifeline.internal.session;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The heartbeat clock of one connection, in front of the frame decoder; the {@link
 * ConnectionHandler} acts on its two events. It watches reads only:
 *
 * <ul>
 *   <li>nothing read for a third of the idle timeout {@code T}: fires {@link #PING_DUE} (the
 *       connection handler sends PING once a session is attached), again every {@code T/3} while
 *       nothing arrives;
 *   <li>nothing read for {@code T}: fires {@link IdleStateEvent#READER_IDLE_STATE_EVENT} (the
 *       connection is closed as half-open), again every {@code T} while nothing arrives.
 * </ul>
 *
 * <p>A PING from the peer ({@link #peerPinged()}) holds this side's own PING back for {@code T/2}
 * instead of {@code T/3}: the peer's PINGs and this side's PONGs already prove the connection
 * both ways, so of two sides with the same timeout only one keeps pinging (one PING and one PONG
 * per {@code T/3} on an idle connection, not two of each), and of two with different timeouts
 * the one with the shorter. Writes are not watched at all: an idle check costs one clock read per
 * read burst and one timer per connection, and nothing per write.
 *
 * <p>Netty's {@code IdleStateHandler} did this before, on writer idle (PING when this side had
 * written nothing for {@code T/3}): both sides of an idle connection pinged, and every write
 * went through a new promise with a listener that read the clock.
 */
final class Heartbeat extends ChannelInboundHandlerAdapter {
  /**
   * Fired (from the pipeline's head) by whoever resumes reading it had paused on purpose: the
   * idle clock restarts, so the peer gets one whole idle timeout from now. Nothing could be read
   * while reading was paused, so without it a check falling just after the resume would take the
   * pause for a silent peer. Consumed here.
   */
  static final Object READING_RESUMED = new Object() {
    @Override
    public String toString() {
      return "READING_RESUMED";
    }
  };

  /** Fired when this side has read nothing for a third of the idle timeout. */
  static final Object PING_DUE = new Object() {
    @Override
    public String toString() {
      return "PING_DUE";
    }
  };

  private final long timeoutNanos;
  private final long pingNanos;
  private final long quietAfterPeerPingNanos;
  private final Runnable checkTask = this::check;

  // Event loop only.
  private ChannelHandlerContext ctx;
  private boolean reading;
  private long idleDeadline;
  private long pingDeadline;
  private Future<?> timer;
  private boolean destroyed;

  Heartbeat(long timeoutMillis) {
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    this.pingNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), timeoutNanos / 3);
    this.quietAfterPeerPingNanos = Math.max(pingNanos, timeoutNanos / 2);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
      start();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    start();
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    destroy();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    destroy();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    reading = true;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (reading) {
      reading = false;
      readAt(now());
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == READING_RESUMED) {
      if (timer != null) {
        readAt(now());
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** The peer sent PING (answered with PONG): no PING of this side's own for {@code T/2}. */
  void peerPinged() {
    long now = now();
    readAt(now);
    pingDeadline = Math.max(pingDeadline, now + quietAfterPeerPingNanos);
  }

  private void readAt(long now) {
    idleDeadline = now + timeoutNanos;
    pingDeadline = Math.max(pingDeadline, now + pingNanos);
  }

  private void start() {
    if (timer != null || destroyed) {
      return;
    }
    long now = now();
    idleDeadline = now + timeoutNanos;
    pingDeadline = now + pingNanos;
    schedule(now);
  }

  private void destroy() {
    destroyed = true;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void schedule(long now) {
    long at = Math.min(idleDeadline, pingDeadline);
    timer = ctx.executor().schedule(checkTask, Math.max(0, at - now), TimeUnit.NANOSECONDS);
  }

  private void check() {
    timer = null;
    if (destroyed || !ctx.channel().isOpen()) {
      return;
    }
    long now = now();
    if (reading) {
      readAt(now);
    }
    if (now - idleDeadline >= 0) {
      idleDeadline = now + timeoutNanos;
      pingDeadline = Math.max(pingDeadline, now + pingNanos);
      ctx.fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
      if (destroyed || !ctx.channel().isOpen()) {
        return;
      }
    }
    if (now - pingDeadline >= 0) {
      pingDeadline = now + pingNanos;
      ctx.fireUserEventTriggered(PING_DUE);
      if (destroyed || !ctx.channel().isOpen()) {
        return;
      }
    }
    schedule(now);
  }

  private long now() {
    return ctx.executor().ticker().nanoTime();
  }
}
