package dev.lifeline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;

/** A tiny blocking server for proxy tests: one thread per connection running a behaviour. */
final class TargetServer implements AutoCloseable {

  /** What the server does with one accepted connection. */
  interface Behaviour {
    void serve(Socket socket) throws IOException;
  }

  /** The pattern {@link #stream()} sends forever: a seeded random block, repeated. */
  static final byte[] PATTERN = new byte[64 * 1024];

  static {
    new SplittableRandom(2024).nextBytes(PATTERN);
  }

  private final ServerSocket server;
  private final Behaviour behaviour;
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  private TargetServer(Behaviour behaviour) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.behaviour = behaviour;
    spawn(this::acceptLoop, "target-accept");
  }

  /** Echoes every byte back; half-closes when the client does. */
  static TargetServer echo() throws IOException {
    return new TargetServer(socket -> {
      final InputStream in = socket.getInputStream();
      final OutputStream out = socket.getOutputStream();
      in.transferTo(out);
      socket.shutdownOutput();
    });
  }

  /** Sends {@link #PATTERN} over and over until the connection breaks. */
  static TargetServer stream() throws IOException {
    return new TargetServer(socket -> {
      final OutputStream out = socket.getOutputStream();
      while (true) {
        out.write(PATTERN);
      }
    });
  }

  /** Sends a greeting line and closes. */
  static TargetServer greeting(String text) throws IOException {
    return new TargetServer(socket -> {
      socket.getOutputStream().write(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.shutdownOutput();
      socket.getInputStream().read(); // wait for the client to close
    });
  }

  int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        final Socket socket = server.accept();
        sockets.add(socket);
        spawn(() -> serveQuietly(socket), "target-conn");
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serveQuietly(Socket socket) {
    try (socket) {
      behaviour.serve(socket);
    } catch (IOException e) {
      // the proxy cut it: that is what these tests do
    }
  }

  private void spawn(Runnable task, String name) {
    final Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  @Override
  public void close() throws Exception {
    server.close();
    for (Socket socket : sockets) {
      socket.close();
    }
    for (Thread thread : threads) {
      thread.join(5_000);
    }
  }
}
