package dev.lifeline.internal.session;

import dev.lifeline.internal.protocol.Frame;
import io.netty.channel.Channel;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The {@link ConnectionPort} of a Netty channel: the one place a session's I/O touches Netty.
 * One per channel ({@link #of}), so the session can tell its current connection by identity.
 */
final class ChannelPort implements ConnectionPort {
  private static final AttributeKey<ChannelPort> KEY =
      AttributeKey.valueOf(ChannelPort.class, "port");

  private final Channel ch;

  private ChannelPort(Channel ch) {
    this.ch = ch;
  }

  /** The port of {@code ch}, made on first use. */
  static ChannelPort of(Channel ch) {
    Attribute<ChannelPort> attr = ch.attr(KEY);
    ChannelPort port = attr.get();
    if (port == null) {
      port = new ChannelPort(ch);
      ChannelPort raced = attr.setIfAbsent(port);
      if (raced != null) {
        port = raced;
      }
    }
    return port;
  }

  /** Whether this is the port of {@code other}. */
  boolean isOf(Channel other) {
    return ch == other;
  }

  @Override
  public void write(Frame frame) {
    ch.write(frame, ch.voidPromise());
  }

  @Override
  public void flush() {
    ch.flush();
  }

  @Override
  public boolean isWritable() {
    return ch.isWritable();
  }

  @Override
  public boolean inEventLoop() {
    return ch.eventLoop().inEventLoop();
  }

  @Override
  public void execute(Runnable task) {
    ch.eventLoop().execute(task);
  }

  @Override
  public void pauseReading() {
    ch.config().setAutoRead(false);
  }

  @Override
  public void resumeReading() {
    ch.eventLoop().execute(() -> {
      ch.config().setAutoRead(true);
      ch.pipeline().fireUserEventTriggered(Heartbeat.READING_RESUMED);
    });
  }

  @Override
  public void close() {
    ch.close();
  }

  @Override
  public void writeClose(Frame.Close close, Consumer<Boolean> done) {
    ch.writeAndFlush(close).addListener(f -> done.accept(f.isSuccess()));
  }

  /**
   * Closing at once would close a socket with unread data whenever the peer was still sending (a
   * download's last messages, a PING): the kernel then answers with a TCP reset instead of the
   * orderly end, the peer's next write fails and its transport closes the connection before
   * reading the CLOSE already waiting in its receive buffer, so the peer took the end of the
   * session for a lost connection and kept the session (and its stored record) for a resume that
   * never comes. The peer closes as soon as it reads the CLOSE; this side only after {@link
   * ConnectionHandler#CLOSE_WRITE_GRACE_MILLIS}.
   */
  @Override
  public boolean closeAfterPeer() {
    if (!ch.isOpen()) {
      return false;
    }
    ch.config().setAutoRead(true); // reading may have been paused for a slow application
    ScheduledFuture<?> timer = ch.eventLoop().schedule(() -> {
      ch.close();
    }, ConnectionHandler.CLOSE_WRITE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    ch.closeFuture().addListener(f -> timer.cancel(false));
    return true;
  }

  @Override
  public void whenClosed(Runnable task) {
    ch.closeFuture().addListener(f -> task.run());
  }

  @Override
  public String remoteAddress() {
    return ServerConnectionHandler.address(ch);
  }

  @Override
  public String toString() {
    return ch.toString();
  }
}
