package dev.lifeline.internal.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Connects once through a {@link ClientTls}, waits for the server's greeting and disconnects. */
final class TlsTestClient {
  /** What one connection saw; {@code wireResumed} is the independent wire observer's verdict. */
  static final class Result {
    final String greeting;
    final Boolean wireResumed;

    Result(String greeting, Boolean wireResumed) {
      this.greeting = greeting;
      this.wireResumed = wireResumed;
    }
  }

  private TlsTestClient() {
  }

  static Result connectOnce(ClientTls tls, EventLoopGroup group, String host, String address,
      int port) throws Exception {
    Promise<String> greeting = group.next().newPromise();
    Channel channel = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new GreetingReader(greeting));
            tls.install(ch.pipeline(), host, port);
            // A second, independent classifier: the classifier under test uses the native flag
            // for OpenSSL, so this cross-checks it against what the bytes on the wire say.
            ch.pipeline().addFirst("test-wire", new ServerHelloObserver(false));
          }
        })
        .connect(address, port).sync().channel();
    try {
      String text = greeting.get(10, TimeUnit.SECONDS);
      return new Result(text, channel.attr(ServerHelloObserver.RESUMED).get());
    } catch (ExecutionException | TimeoutException e) {
      throw e;
    } finally {
      channel.close().sync();
    }
  }

  private static final class GreetingReader extends ChannelInboundHandlerAdapter {
    private final Promise<String> greeting;
    private final StringBuilder text = new StringBuilder();

    GreetingReader(Promise<String> greeting) {
      this.greeting = greeting;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf bytes = (ByteBuf) msg;
      try {
        text.append(bytes.toString(StandardCharsets.US_ASCII));
      } finally {
        bytes.release();
      }
      if (text.indexOf("\n") >= 0) {
        greeting.trySuccess(text.toString());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      greeting.tryFailure(cause);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      greeting.tryFailure(new ClosedChannelException());
      ctx.fireChannelInactive();
    }
  }
}
