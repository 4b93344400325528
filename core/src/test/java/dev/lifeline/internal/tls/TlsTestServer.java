package dev.lifeline.internal.tls;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A loopback server that speaks first, as the session layer will: right after the handshake it
 * writes {@link #GREETING}, which also makes TLS 1.3 servers deliver their session tickets to a
 * client that never writes. With {@code closeAfterGreeting} it then closes, so that command line
 * clients such as {@code openssl s_client} finish on their own.
 */
final class TlsTestServer implements AutoCloseable {
  static final String GREETING = "lifeline-test-greeting\n";

  private final Channel channel;

  TlsTestServer(ServerTls tls, EventLoopGroup group, int port, boolean closeAfterGreeting)
      throws InterruptedException {
    channel = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new Greeter(closeAfterGreeting));
            tls.install(ch.pipeline());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
  }

  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public void close() throws InterruptedException {
    channel.close().sync();
  }

  private static final class Greeter extends ChannelInboundHandlerAdapter {
    private final boolean closeAfterGreeting;

    Greeter(boolean closeAfterGreeting) {
      this.closeAfterGreeting = closeAfterGreeting;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent && ((SslHandshakeCompletionEvent) evt).isSuccess()) {
        ByteBuf greeting = Unpooled.copiedBuffer(GREETING, StandardCharsets.US_ASCII);
        if (closeAfterGreeting) {
          ctx.writeAndFlush(greeting).addListener(ChannelFutureListener.CLOSE);
        } else {
          ctx.writeAndFlush(greeting);
        }
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
