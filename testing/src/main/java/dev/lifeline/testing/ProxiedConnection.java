package dev.lifeline.testing;

import dev.lifeline.testing.ChaosSpec.Mode;
import dev.lifeline.testing.internal.ChaosPlan;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
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
 *
 * <p>With latency each direction has a {@link DelayLine} and a second thread: the pump queues
 * what it read and the writer writes it on when it falls due. The planned cut and a half-close
 * travel in the line behind the bytes before them, so they happen when those bytes arrive. Any
 * cut drops what is still in the lines (RST, FIN and BLACKHOLE alike: those bytes were on a wire
 * that is gone).
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
  /** Pumps, then (with latency) the lines' writers; never changed after construction. */
  private final List<Thread> threads = new ArrayList<>(4);

  /** Client to target and back; both null without latency. */
  private final DelayLine upLine;
  private final DelayLine downLine;

  /** Null when this connection has no planned cut; never reassigned. */
  private final ChaosSpec.Cut plannedCut;

  private final ChaosPlan plan;

  /** Guarded by this. Bytes that may still pass; Long.MAX_VALUE without a planned cut. */
  private long remaining;

  /** Guarded by this. Null until the connection is cut; BLACKHOLE may later become RST or FIN. */
  private Mode cutMode;

  /** Guarded by this. Whether the plan has heard about this connection's cut (it hears once). */
  private boolean planReported;

  /** Guarded by this. The planned cut has been claimed: every later read is discarded. */
  private boolean cutClaimed;

  /** Guarded by this. Threads that have finished; the connection ends when all have. */
  private int threadsDone;

  /** The proxy is shutting down: socket errors from now on are expected. */
  private volatile boolean closing;

  ProxiedConnection(
      FaultProxy owner, long id, Socket client, Socket target, ChaosSpec.Cut plannedCut,
      ChaosPlan plan, FaultProxy.Latency latency, AtomicLong delayHighWater) {
    this.owner = owner;
    this.client = client;
    this.target = target;
    this.plannedCut = plannedCut;
    this.plan = plan;
    this.remaining = plannedCut == null ? Long.MAX_VALUE : plannedCut.afterBytes();
    this.name = owner.threadNamePrefix() + id;
    this.upLine = latency == null ? null : latency.newLine(delayHighWater);
    this.downLine = latency == null ? null : latency.newLine(delayHighWater);
    newThread(() -> pump(client, target, upLine), "-up");
    newThread(() -> pump(target, client, downLine), "-down");
    if (latency != null) {
      newThread(() -> deliver(upLine, target), "-up-delay");
      newThread(() -> deliver(downLine, client), "-down-delay");
    }
  }

  private void newThread(Runnable task, String suffix) {
    final Thread thread = new Thread(task, name + suffix);
    thread.setDaemon(true); // a forgotten proxy must not keep a test JVM alive
    threads.add(thread);
  }

  void start() {
    if (plannedCut != null && plannedCut.afterBytes() == 0) {
      cutNow(plannedCut.mode(), true);
    }
    threads.forEach(Thread::start);
  }

  /** Cuts now, unless already cut; a black hole may still be turned into RST or FIN. */
  void cut(Mode mode) {
    cutNow(mode, false);
  }

  /** Closes both sockets and both lines; the threads end on their own. */
  void close() {
    closing = true;
    closeQuietly(client);
    closeQuietly(target);
    closeLines();
  }

  void join(long millis) throws InterruptedException {
    for (Thread thread : threads) {
      thread.join(millis);
    }
  }

  /** Whether every thread has terminated (not merely finished its work). */
  boolean finished() {
    for (Thread thread : threads) {
      if (thread.isAlive() || thread.getState() == Thread.State.NEW) {
        return false;
      }
    }
    return true;
  }

  /** Reads one direction and forwards it, or queues it in the line when there is one. */
  private void pump(Socket from, Socket to, DelayLine line) {
    final byte[] buf = new byte[line == null ? BUFFER_BYTES : line.chunkBytes(BUFFER_BYTES)];
    boolean endQueued = false;
    try {
      final InputStream in = from.getInputStream();
      final OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buf)) >= 0; ) {
        final Claim claim = claim(n);
        if (claim.bytes() > 0 && line == null) {
          out.write(buf, 0, claim.bytes());
          owner.forwarded(from == client, claim.bytes());
        } else if (claim.bytes() > 0 && !line.put(buf, claim.bytes())) {
          return; // the line closed: the connection is ending
        }
        if (claim.cut() && line == null) {
          cutNow(plannedCut.mode(), true);
        } else if (claim.cut()) {
          line.put(DelayLine.Kind.PLANNED_CUT);
        }
      }
      if (line == null) {
        endOfStream(to);
      } else {
        line.put(DelayLine.Kind.END_OF_STREAM);
        endQueued = true; // the writer delivers the rest, half-closes and closes the line
      }
    } catch (IOException e) {
      broken(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (line != null && !endQueued) {
        line.close(); // so that its writer does not wait for bytes that will never come
      }
      threadDone();
    }
  }

  /** Writes one direction's line on as its entries fall due. */
  private void deliver(DelayLine line, Socket to) {
    try {
      final OutputStream out = to.getOutputStream();
      for (DelayLine.Entry entry; (entry = line.take()) != null; ) {
        switch (entry.kind()) {
          case BYTES -> {
            if (!isCut()) { // a black hole may have opened while the bytes waited
              out.write(entry.bytes());
              owner.forwarded(to == target, entry.bytes().length);
            }
            line.written();
          }
          case PLANNED_CUT -> cutNow(plannedCut.mode(), true);
          case END_OF_STREAM -> {
            endOfStream(to);
            return;
          }
          default -> throw new IllegalStateException("kind: " + entry.kind());
        }
      }
    } catch (IOException e) {
      broken(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      line.close(); // frees a pump waiting for room
      threadDone();
    }
  }

  private synchronized boolean isCut() {
    return cutMode != null;
  }

  private void closeLines() {
    if (upLine != null) {
      upLine.close();
      downLine.close();
    }
  }

  private synchronized Claim claim(int n) {
    if (cutMode != null || cutClaimed) {
      return DISCARD;
    }
    if (n < remaining) {
      remaining -= n;
      return new Claim(n, false);
    }
    final int allowed = (int) remaining; // fits: remaining <= n here
    remaining = 0;
    cutClaimed = true; // with latency the cut happens later; the bytes after it are gone now
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

  private void threadDone() {
    final boolean ended;
    synchronized (this) {
      ended = ++threadsDone == threads.size();
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
    if (upLine != null) {
      upLine.clear(); // what was on the wire is lost with it
      downLine.clear();
    }
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
