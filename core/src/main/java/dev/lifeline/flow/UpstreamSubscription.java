package dev.lifeline.flow;

import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Calls an upstream {@link Flow.Subscription} one call at a time, whichever thread asks: the
 * Reactive Streams rules want a subscription's methods called serially, and a {@link
 * SessionSubscriber} asks from the publisher's thread ({@code onNext}), the session's callback
 * thread ({@code onWritable}) and the thread that ends the session. A call made while another
 * is running (also one made from inside it, when a synchronous publisher delivers {@code onNext}
 * within {@code request}) is left to the running one, so nothing blocks and the stack stays flat.
 */
final class UpstreamSubscription {
  private final Flow.Subscription upstream;
  // Items asked for and not yet passed on.
  private final AtomicLong toRequest = new AtomicLong();
  // How many calls arrived since the running one last looked; 0 when none runs.
  private final AtomicInteger work = new AtomicInteger();
  private volatile boolean cancelled;
  // The publisher signalled onComplete or onError: the subscription is over (rule 2.4), so a
  // request decided before the signal arrived is dropped rather than sent.
  private volatile boolean terminated;
  // Touched only by the thread that holds work.
  private boolean cancelSent;

  UpstreamSubscription(Flow.Subscription upstream) {
    this.upstream = upstream;
  }

  void request(long n) {
    toRequest.accumulateAndGet(n, UpstreamSubscription::cappedSum);
    drain();
  }

  void cancel() {
    cancelled = true;
    drain();
  }

  /** The publisher completed or failed: nothing more is requested or cancelled. */
  void terminated() {
    terminated = true;
  }

  private void drain() {
    if (work.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    do {
      if (terminated) {
        toRequest.set(0);
      } else if (cancelled) {
        toRequest.set(0);
        if (!cancelSent) {
          cancelSent = true;
          upstream.cancel();
        }
      } else {
        long n = toRequest.getAndSet(0);
        if (n > 0) {
          upstream.request(n);
        }
      }
      missed = work.addAndGet(-missed);
    } while (missed != 0);
  }

  /** Demand adds up to at most {@link Long#MAX_VALUE}, which means "unbounded" in Flow. */
  static long cappedSum(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
