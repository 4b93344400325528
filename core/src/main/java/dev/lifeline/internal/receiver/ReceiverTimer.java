package dev.lifeline.internal.receiver;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The timer every {@code DurableReceiver} without one of its own shares: one daemon thread that
 * only hands each session's time-bound flush to that session's callback thread, so it never runs
 * application code itself and one thread serves any number of sessions. Created on first use.
 */
public final class ReceiverTimer {
  private ReceiverTimer() {}

  /** The shared timer. */
  public static ScheduledExecutorService shared() {
    return Holder.TIMER;
  }

  private static final class Holder {
    static final ScheduledExecutorService TIMER = create();

    private static ScheduledExecutorService create() {
      ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
        Thread t = new Thread(task, "lifeline-receiver-timer");
        // A timer must not keep a process alive that is otherwise done.
        t.setDaemon(true);
        return t;
      });
      timer.setRemoveOnCancelPolicy(true);
      return timer;
    }
  }
}
