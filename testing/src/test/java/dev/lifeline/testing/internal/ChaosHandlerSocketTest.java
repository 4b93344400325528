package dev.lifeline.testing.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.testing.ChaosSpec.Mode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a real peer observes when the client side cuts with each mode. */
class ChaosHandlerSocketTest {

  private static final int BUDGET = 50_000;
  private static final byte[] PAYLOAD = new byte[200_000];
  private static EventLoopGroup group;

  @BeforeAll
  static void start() {
    new SplittableRandom(17).nextBytes(PAYLOAD);
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterAll
  static void stop() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Connects a Netty client that writes PAYLOAD through a ChaosHandler at its pipeline head. */
  private static Channel connect(int port, Mode mode, RecordingListener listener) {
    return new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addFirst("chaos", new ChaosHandler(BUDGET, mode, listener));
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
              @Override
              public void channelActive(ChannelHandlerContext ctx) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(PAYLOAD));
              }
            });
          }
        })
        .connect(InetAddress.getLoopbackAddress(), port)
        .syncUninterruptibly()
        .channel();
  }

  /** Reads until EOF, an error or the timeout; returns what arrived and how it ended. */
  private static Outcome readAll(Socket socket) throws IOException {
    socket.setSoTimeout(1_000);
    final ByteArrayOutputStream got = new ByteArrayOutputStream();
    final InputStream in = socket.getInputStream();
    final byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        got.write(buf, 0, n);
      }
      return new Outcome(got.toByteArray(), "eof");
    } catch (SocketTimeoutException e) {
      return new Outcome(got.toByteArray(), "timeout");
    } catch (SocketException e) {
      return new Outcome(got.toByteArray(), e.getMessage());
    }
  }

  private record Outcome(byte[] bytes, String end) {}

  @Test
  void finGivesThePeerExactlyTheBudgetThenEndOfStream() throws Exception {
    final RecordingListener listener = new RecordingListener();
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      final Channel client = connect(server.getLocalPort(), Mode.FIN, listener);
      try (Socket peer = server.accept()) {
        final Outcome outcome = readAll(peer);
        assertEquals("eof", outcome.end());
        assertArrayEquals(Arrays.copyOf(PAYLOAD, BUDGET), outcome.bytes());
      }
      assertTrue(client.closeFuture().await(5, TimeUnit.SECONDS), "client closed itself");
    }
    assertEquals("cut FIN " + BUDGET, listener.events.get(0));
  }

  @Test
  void rstGivesThePeerConnectionReset() throws Exception {
    final RecordingListener listener = new RecordingListener();
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      final Channel client = connect(server.getLocalPort(), Mode.RST, listener);
      try (Socket peer = server.accept()) {
        // Let the reset arrive before reading: a reset discards what the peer had not read.
        assertTrue(client.closeFuture().await(5, TimeUnit.SECONDS), "client closed itself");
        final Outcome outcome = readAll(peer);
        assertEquals("Connection reset", outcome.end());
        assertTrue(outcome.bytes().length <= BUDGET, "more than the budget passed");
        assertArrayEquals(Arrays.copyOf(PAYLOAD, outcome.bytes().length), outcome.bytes());
      }
    }
    assertEquals("cut RST " + BUDGET, listener.events.get(0));
  }

  @Test
  void blackholeGivesThePeerTheBudgetThenSilence() throws Exception {
    final RecordingListener listener = new RecordingListener();
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      final Channel client = connect(server.getLocalPort(), Mode.BLACKHOLE, listener);
      try (Socket peer = server.accept()) {
        final Outcome outcome = readAll(peer);
        assertEquals("timeout", outcome.end());
        assertArrayEquals(Arrays.copyOf(PAYLOAD, BUDGET), outcome.bytes());
        peer.getOutputStream().write(new byte[1000]); // the peer's writes go nowhere, no error
        assertTrue(client.isActive(), "a black hole keeps the connection open");
      } finally {
        client.close().syncUninterruptibly();
      }
    }
    assertEquals("cut BLACKHOLE " + BUDGET, listener.events.get(0));
  }
}
