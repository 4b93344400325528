package dev.lifeline.store.redis.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A plain TCP load balancer for tests: every new connection goes to the next target in turn, so a
 * client that reconnects always lands on another node than last time, the hardest case for
 * resumption. Bytes pass unchanged; when either side closes or resets, both sockets are closed.
 */
public final class AlternatingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final List<Integer> targets;
  private final AtomicLongArray accepted;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private long next;
  private volatile boolean closed;

  private AlternatingProxy(ServerSocket server, List<Integer> targets) {
    this.server = server;
    this.targets = List.copyOf(targets);
    this.accepted = new AtomicLongArray(targets.size());
    this.acceptor = new Thread(this::acceptLoop, "alternating-proxy-accept");
    acceptor.setDaemon(true);
  }

  /** A proxy on a free loopback port sending connections to the given loopback ports in turn. */
  public static AlternatingProxy start(int... ports) throws IOException {
    ServerSocket s = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    AlternatingProxy p = new AlternatingProxy(s, java.util.Arrays.stream(ports).boxed().toList());
    p.acceptor.start();
    return p;
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Connections sent to the target at {@code index} so far. */
  public long accepted(int index) {
    return accepted.get(index);
  }

  /** Resets every live connection (both sides see a reset). */
  public void resetAll() {
    for (Socket s : sockets) {
      reset(s);
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      int index = (int) (next++ % targets.size());
      accepted.incrementAndGet(index);
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(),
            targets.get(index)), 5000);
      } catch (IOException e) {
        reset(client);
        closeQuietly(upstream);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
        }
        closeQuietly(to); // a clean end on one side ends the connection on both
        closeQuietly(from);
      } catch (IOException e) {
        reset(to);
        reset(from);
      }
      sockets.remove(from);
      sockets.remove(to);
    }, "alternating-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    resetAll();
  }

  private void reset(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (IOException e) {
      // already closed
    }
    closeQuietly(s);
    sockets.remove(s);
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing to do
    }
  }
}
