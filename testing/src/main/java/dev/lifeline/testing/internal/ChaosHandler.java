package dev.lifeline.testing.internal;

import dev.lifeline.testing.ChaosSpec.Mode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts one connection after a fixed number of bytes, the way a network would.
 *
 * <p>Place it at the head of the pipeline, below TLS, so it counts raw encrypted bytes. Bytes read
 * and bytes written add up to one budget; when the budget is used up the connection is cut, even
 * in the middle of a buffer (the buffer is split so exactly the budget passes) and therefore in
 * the middle of a TLS record. What happens then depends on the mode:
 *
 * <ul>
 *   <li>{@link Mode#RST}: {@code SO_LINGER 0} and close; the peer sees "connection reset".
 *   <li>{@link Mode#FIN}: output shut down, then close; the peer reads end of stream.
 *   <li>{@link Mode#BLACKHOLE}: the channel stays open, but every later inbound buffer is
 *       discarded and every later write is discarded and reported successful. Neither side gets
 *       an error; only a heartbeat or idle timeout notices. The channel stays open until someone
 *       closes it. After {@value #BLACKHOLE_ACCEPTS} bytes swallowed the channel reports itself
 *       unwritable, as a real connection does once its socket buffer is full and nothing is
 *       acknowledged: a sender that honours writability stops there instead of pouring its
 *       whole replay window into the hole (a window grown to 256 MiB made a black hole cost
 *       that much resending, which no real network would).
 * </ul>
 *
 * <p>After an RST or FIN cut, inbound data is discarded and writes fail with {@link
 * ClosedChannelException}, so not one byte beyond the budget leaves even while the close is in
 * flight. A {@link FileRegion} cannot be split: one that does not fit whole is dropped and the cut
 * happens before it. Messages that are neither buffers nor file regions are not counted.
 *
 * <p>A budget of 0 cuts as soon as the channel is active. The {@link Listener} hears exactly once
 * per connection: either the cut, or that the connection ended without one.
 *
 * <pre>{@code
 * pipeline.addFirst("chaos", new ChaosHandler(1 << 20, Mode.RST, listener));
 * }</pre>
 *
 * <p>Not sharable: the budget belongs to one connection. All state is touched on the event loop
 * only.
 */
final class ChaosHandler extends ChannelDuplexHandler {

  /** Hears how one connection's cut went. Called on the event loop; must not block. */
  public interface Listener {
    /** The connection was cut after {@code bytes} bytes. */
    void onCut(Mode mode, long bytes);

    /** The connection ended (or the handler was removed) before its cut point. */
    void onEndedWithoutCut(long bytes);

    /** A listener that ignores everything. */
    Listener NONE =
        new Listener() {
          @Override
          public void onCut(Mode mode, long bytes) {}

          @Override
          public void onEndedWithoutCut(long bytes) {}
        };
  }

  private static final Logger log = LoggerFactory.getLogger(ChaosHandler.class);
  /** What a black hole swallows before the connection stops being writable: a socket buffer. */
  static final long BLACKHOLE_ACCEPTS = 4L << 20;
  private static final int BLACKHOLE_WRITABILITY_INDEX = 17;

  private final long cutAfterBytes;
  private final Mode mode;
  private final Listener listener;

  /** Bytes that may still pass before the cut; 0 once cut. */
  private long remaining;
  private long swallowed;

  private boolean cut;

  /** Whether the listener has heard; it hears once. */
  private boolean reported;

  /**
   * @param cutAfterBytes bytes (read plus written) that pass before the cut, {@code >= 0}
   * @param mode RST, FIN or BLACKHOLE (MIX is drawn by the caller, see {@code ChaosSpec.nextCut})
   */
  public ChaosHandler(long cutAfterBytes, Mode mode, Listener listener) {
    if (cutAfterBytes < 0) {
      throw new IllegalArgumentException("cutAfterBytes: " + cutAfterBytes + " (expected: >= 0)");
    }
    Objects.requireNonNull(mode, "mode");
    if (mode == Mode.MIX) {
      throw new IllegalArgumentException("mode: MIX (expected: RST, FIN or BLACKHOLE)");
    }
    this.cutAfterBytes = cutAfterBytes;
    this.mode = mode;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.remaining = cutAfterBytes;
  }

  public long cutAfterBytes() {
    return cutAfterBytes;
  }

  public Mode mode() {
    return mode;
  }

  /** Bytes that passed so far, both directions. */
  public long bytesPassed() {
    return cutAfterBytes - remaining;
  }

  public boolean isCut() {
    return cut;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      cutIfNoBudget(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.fireChannelActive();
    cutIfNoBudget(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    reportEndedWithoutCut();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    reportEndedWithoutCut();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (cut) {
      ReferenceCountUtil.release(msg); // the connection is gone: nothing arrives any more
      return;
    }
    if (!(msg instanceof ByteBuf buf)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (buf.readableBytes() < remaining) {
      remaining -= buf.readableBytes();
      ctx.fireChannelRead(buf);
      return;
    }
    final ByteBuf allowed = takeRemaining(buf);
    if (allowed.isReadable()) {
      ctx.fireChannelRead(allowed);
    } else {
      allowed.release();
    }
    cut(ctx);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (cut) {
      dropWrite(ctx, msg, promise);
      return;
    }
    if (msg instanceof ByteBuf buf) {
      writeBuffer(ctx, buf, promise);
    } else if (msg instanceof FileRegion region) {
      writeRegion(ctx, region, promise);
    } else {
      ctx.write(msg, promise);
    }
  }

  private void writeBuffer(ChannelHandlerContext ctx, ByteBuf buf, ChannelPromise promise) {
    if (buf.readableBytes() < remaining) {
      remaining -= buf.readableBytes();
      ctx.write(buf, promise);
      return;
    }
    // The promise goes with the part that leaves: like a kernel accepting bytes it later loses,
    // the writer is told "written" and learns of the loss only from the connection's fate.
    final ByteBuf allowed = takeRemaining(buf);
    if (allowed.isReadable()) {
      ctx.write(allowed, promise);
    } else {
      allowed.release();
      promise.trySuccess();
    }
    cut(ctx);
  }

  private void writeRegion(ChannelHandlerContext ctx, FileRegion region, ChannelPromise promise) {
    final long size = region.count() - region.transferred();
    if (size <= remaining) {
      remaining -= size;
      ctx.write(region, promise);
      if (remaining == 0) {
        cut(ctx);
      }
      return;
    }
    cut(ctx); // a region cannot be split: cut before it
    dropWrite(ctx, region, promise);
  }

  /** Returns the first {@code remaining} readable bytes of buf and uses up the budget. */
  private ByteBuf takeRemaining(ByteBuf buf) {
    final int allowed = (int) remaining; // fits: remaining <= buf.readableBytes() here
    remaining = 0;
    if (allowed == buf.readableBytes()) {
      return buf;
    }
    final ByteBuf head = buf.readRetainedSlice(allowed);
    buf.release();
    return head;
  }

  private void dropWrite(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (mode == Mode.BLACKHOLE) {
      if (msg instanceof ByteBuf buf) {
        swallowed += buf.readableBytes();
      }
      ReferenceCountUtil.release(msg);
      promise.trySuccess(); // a black hole never tells the writer anything went wrong
      if (swallowed >= BLACKHOLE_ACCEPTS) {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        if (out != null) {
          out.setUserDefinedWritability(BLACKHOLE_WRITABILITY_INDEX, false);
        }
      }
    } else {
      ReferenceCountUtil.release(msg);
      promise.tryFailure(new ClosedChannelException());
    }
  }

  private void cutIfNoBudget(ChannelHandlerContext ctx) {
    if (!cut && remaining == 0) {
      cut(ctx);
    }
  }

  private void cut(ChannelHandlerContext ctx) {
    cut = true;
    remaining = 0;
    final Channel channel = ctx.channel();
    log.info("chaos: cutting {} by {} after {} bytes", channel, mode, cutAfterBytes);
    report(true);
    // Bytes inside the budget were written (perhaps not flushed by the writer yet): let them go.
    ctx.flush();
    switch (mode) {
      case RST -> {
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        ctx.close();
      }
      case FIN -> {
        if (channel instanceof DuplexChannel duplex) {
          duplex.shutdownOutput().addListener(f -> ctx.close());
        } else {
          ctx.close();
        }
      }
      case BLACKHOLE -> {
        // Nothing to do to the socket: silence is the fault.
      }
      default -> throw new IllegalStateException("mode: " + mode);
    }
  }

  private void reportEndedWithoutCut() {
    if (!cut) {
      report(false);
    }
  }

  private void report(boolean didCut) {
    if (reported) {
      return;
    }
    reported = true;
    try {
      if (didCut) {
        listener.onCut(mode, cutAfterBytes);
      } else {
        listener.onEndedWithoutCut(bytesPassed());
      }
    } catch (RuntimeException e) {
      log.warn("chaos: listener failed", e);
    }
  }
}
