package dev.lifeline.flow;

import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes {@link FlowFixtures#message} first..last synchronously from inside {@code request}, as
 * a synchronous source (Reactor's {@code Flux.range}) does, and records what a well-behaved
 * subscriber must not do: overlapping calls, a request that is not positive, a request after a
 * cancel.
 */
final class NumberedPublisher implements Flow.Publisher<ByteBuffer> {
  final Queue<String> violations = new ConcurrentLinkedQueue<>();
  final CountDownLatch cancelled = new CountDownLatch(1);
  final AtomicLong emitted = new AtomicLong();
  // The most items ever requested and not yet emitted.
  final AtomicLong peakDemand = new AtomicLong();
  private final long first;
  private final long count;
  private final long failAt;

  NumberedPublisher(long count) {
    this(1, count, 0);
  }

  /**
   * Messages {@code first..first + count - 1}, with an item one byte over the maximum size in
   * place of message {@code failAt} (none if 0).
   */
  NumberedPublisher(long first, long count, long failAt) {
    this.first = first;
    this.count = count;
    this.failAt = failAt;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
    subscriber.onSubscribe(new Flow.Subscription() {
      private final AtomicLong demand = new AtomicLong();
      private final AtomicInteger work = new AtomicInteger();
      private final AtomicBoolean inCall = new AtomicBoolean();
      private volatile boolean done;

      @Override
      public void request(long n) {
        enter("request");
        if (n <= 0) {
          violations.add("request(" + n + ")");
        }
        if (done) {
          violations.add("request(" + n + ") after cancel or completion");
        }
        peakDemand.accumulateAndGet(demand.addAndGet(n), Math::max);
        inCall.set(false);
        emit();
      }

      @Override
      public void cancel() {
        enter("cancel");
        done = true;
        cancelled.countDown();
        inCall.set(false);
      }

      private void enter(String what) {
        if (!inCall.compareAndSet(false, true)) {
          violations.add(what + " overlapped another call on " + Thread.currentThread().getName());
        }
      }

      /** Emits while there is demand; a request from inside onNext is left to the running loop. */
      private void emit() {
        if (work.getAndIncrement() != 0) {
          return;
        }
        int missed = 1;
        do {
          while (!done && demand.get() > 0 && emitted.get() < count) {
            demand.decrementAndGet();
            long n = first - 1 + emitted.incrementAndGet();
            subscriber.onNext(n == failAt
                ? ByteBuffer.allocate(FlowFixtures.MAX_MESSAGE + 1) : FlowFixtures.message(n));
          }
          if (!done && emitted.get() == count) {
            done = true;
            subscriber.onComplete();
          }
          missed = work.addAndGet(-missed);
        } while (missed != 0);
      }
    });
  }
}
