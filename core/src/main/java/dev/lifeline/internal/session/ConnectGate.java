package dev.lifeline.internal.session;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the connection attempts (TCP connect, TLS handshake, OPEN or RESUME) one client has in
 * flight; further attempts wait here, in arrival order, and start as earlier ones finish.
 *
 * <p>A client holding many sessions (a gateway, a test driver) loses all its connections at once
 * when its link fails. Without a bound every session reconnects in the same instant, and the
 * attempts at the end of the server's queue run into their handshake timeouts, fail, and throw
 * away their TLS sessions, so their retries need full handshakes: the storm feeds itself. With
 * the bound the client sends the server only as many attempts as it can answer promptly, and an
 * attempt's handshake timeout starts when the attempt does.
 */
final class ConnectGate {
  private final int max;
  private final java.util.concurrent.Executor executor;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();

  /** @param executor runs the attempts (never the caller's thread, so nothing recurses) */
  ConnectGate(int max, java.util.concurrent.Executor executor) {
    this.max = max;
    this.executor = executor;
  }

  /** Runs {@code attempt} now if a permit is free, else when one is; it owns that permit. */
  void submit(Runnable attempt) {
    waiting.add(attempt);
    drain();
  }

  /** Gives back the permit of a finished attempt. */
  void release() {
    inFlight.decrementAndGet();
    drain();
  }

  /** Attempts in flight now. */
  int inFlight() {
    return inFlight.get();
  }

  /** Attempts waiting for a permit now. */
  int waiting() {
    return waiting.size();
  }

  private void drain() {
    while (!waiting.isEmpty() && tryAcquire()) {
      Runnable next = waiting.poll();
      if (next == null) {
        inFlight.decrementAndGet(); // another thread took it; look again
        continue;
      }
      try {
        executor.execute(next);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        inFlight.decrementAndGet(); // the client is closing: no attempt will run any more
        waiting.clear();
        return;
      }
    }
  }

  private boolean tryAcquire() {
    for (;;) {
      int current = inFlight.get();
      if (current >= max) {
        return false;
      }
      if (inFlight.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }
}
