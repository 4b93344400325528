package dev.lifeline.testing;

import dev.lifeline.testing.ChaosSpec.Mode;
import dev.lifeline.testing.internal.ChaosPlan;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection through a {@link FaultProxy}: two blocking pump threads, one per
 * direction, sharing one byte budget.
 *
 * <p>Every chunk read is first claimed against the budget under the lock; the claim that uses up
 * the budget decides the cut, so the other direction can never forward a byte past it. The
 * deciding thread forwards its share and then cuts. Writes already in flight in the other
 * direction at that instant finish or fail with the sockets, as they would on a real network.
 */
final class ProxiedConnection {

  private static final Logger log = LoggerFactory.getLogger(ProxiedConnection.class);

  /** Large enough to carry ~1 GB/s on loopback with blocking sockets. */
  static final int BUFFER_BYTES = 64 * 1024;

  /** What one read may forward, and whether this reader must now make the planned cut. */
  private record Claim(int bytes, boolean cut) {}

  private static final Claim DISCARD = new Claim(0, false);

  private final FaultProxy owner;
  private final Socket client;
  private final Socket target;
  private final String name;
  private final Thread up;
  private final Thread down;

  /** Null when this connection has no planned cut; never reassigned. */
  private final ChaosSpec.Cut plannedCut;

  private final ChaosPlan plan;

  /** Guarded by this. Bytes that may still pass; Long.MAX_VALUE without a planned cut. */
  private long remaining;

  /** Guarded by this. Null until the connection is cut; BLACKHOLE may later become RST or FIN. */
  private Mode cutMode;

  /** Guarded by this. Whether the plan has heard about this connection's cut (it hears once). */
  private boolean planReported;

  /** Guarded by this. Pump threads that have finished; the connection ends at 2. */
  private int pumpsDone;

  /** The proxy is shutting down: socket errors from now on are expected. */
  private volatile boolean closing;

  ProxiedConnection(
      FaultProxy owner, long id, Socket client, Socket target, ChaosSpec.Cut plannedCut,
      ChaosPlan plan) {
    this.owner = owner;
    this.client = client;
    this.target = target;
    this.plannedCut = plannedCut;
    this.plan = plan;
    this.remaining = plannedCut == null ? Long.MAX_VALUE : plannedCut.afterBytes();
    this.name = owner.threadNamePrefix() + id;
    this.up = newThread(client, target, "-up");
    this.down = newThread(target, client, "-down");
  }

  private Thread newThread(Socket from, Socket to, String suffix) {
    final Thread thread = new Thread(() -> pump(from, to), name + suffix);
    thread.setDaemon(true); // a forgotten proxy must not keep a test JVM alive
    return thread;
  }

  void start() {
    if (plannedCut != null && plannedCut.afterBytes() == 0) {
      cutNow(plannedCut.mode(), true);
    }
    up.start();
    down.start();
  }

  /** Cuts now, unless already cut; a black hole may still be turned into RST or FIN. */
  void cut(Mode mode) {
    cutNow(mode, false);
  }

  /** Closes both sockets; the pump threads end on their own. */
  void close() {
    closing = true;
    closeQuietly(client);
    closeQuietly(target);
  }

  void join(long millis) throws InterruptedException {
    up.join(millis);
    down.join(millis);
  }

  /** Whether both pump threads have terminated (not merely finished their work). */
  boolean finished() {
    return !up.isAlive() && !down.isAlive() && up.getState() != Thread.State.NEW;
  }

  private void pump(Socket from, Socket to) {
    final byte[] buf = new byte[BUFFER_BYTES];
    try {
      final InputStream in = from.getInputStream();
      final OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buf)) >= 0; ) {
        final Claim claim = claim(n);
        if (claim.bytes() > 0) {
          out.write(buf, 0, claim.bytes());
          owner.forwarded(from == client, claim.bytes());
        }
        if (claim.cut()) {
          cutNow(plannedCut.mode(), true);
        }
      }
      endOfStream(to);
    } catch (IOException e) {
      broken(e);
    } finally {
      pumpDone();
    }
  }

  private synchronized Claim claim(int n) {
    if (cutMode != null) {
      return DISCARD;
    }
    if (n < remaining) {
      remaining -= n;
      return new Claim(n, false);
    }
    final int allowed = (int) remaining; // fits: remaining <= n here
    remaining = 0;
    return new Claim(allowed, true);
  }

  /** A clean half-close passes through unless the connection was cut. */
  private void endOfStream(Socket to) {
    final boolean forward;
    synchronized (this) {
      forward = cutMode == null;
    }
    if (forward) {
      try {
        to.shutdownOutput();
      } catch (IOException e) {
        log.debug("{}: half-close failed", name, e);
      }
    }
  }

  /** A reset or error on one side is passed on as a reset, unless it is our own doing. */
  private void broken(IOException e) {
    final boolean ours;
    synchronized (this) {
      ours = closing || cutMode == Mode.RST || cutMode == Mode.FIN;
    }
    if (!ours) {
      log.debug("{}: broken ({}), resetting both sides", name, e.toString());
      abort(client);
      abort(target);
    }
  }

  private void pumpDone() {
    final boolean ended;
    synchronized (this) {
      ended = ++pumpsDone == 2;
    }
    if (ended) {
      closeQuietly(client);
      closeQuietly(target);
      reportToPlan(null);
      owner.connectionEnded(this);
    }
  }

  private void cutNow(Mode mode, boolean planned) {
    synchronized (this) {
      if (cutMode != null && (cutMode != Mode.BLACKHOLE || mode == Mode.BLACKHOLE)) {
        return;
      }
      cutMode = mode;
      remaining = 0;
    }
    log.info("{}: cutting by {}{}", name, mode, planned ? " (planned)" : "");
    reportToPlan(planned ? mode : null);
    owner.cutDone(mode);
    switch (mode) {
      case RST -> {
        abort(client);
        abort(target);
      }
      case FIN -> {
        finish(client);
        finish(target);
      }
      case BLACKHOLE -> {
        // Silence is the fault: both sockets stay open, the pumps discard from now on.
      }
      default -> throw new IllegalArgumentException("mode: " + mode);
    }
  }

  /** Tells the plan once: the planned cut happened (mode), or it never will (null). */
  private void reportToPlan(Mode doneMode) {
    synchronized (this) {
      if (plannedCut == null || planReported) {
        return;
      }
      planReported = true;
    }
    if (doneMode != null) {
      plan.cutDone(doneMode);
    } else {
      plan.disarm();
    }
  }

  private static void abort(Socket socket) {
    try {
      socket.setSoLinger(true, 0); // close now sends RST instead of FIN
    } catch (IOException e) {
      // already closed: nothing left to reset
    }
    closeQuietly(socket);
  }

  private static void finish(Socket socket) {
    try {
      socket.shutdownOutput(); // FIN goes out after the bytes already written
    } catch (IOException e) {
      // already closed or reset: the peer has its answer
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing useful to do while tearing down
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
