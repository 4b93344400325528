package dev.lifeline.internal.session;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared executor, so each session's
 * application callbacks are serialised without a thread per session.
 */
final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final Executor delegate;
  // guarded by this
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  // guarded by this
  private boolean running;

  SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (this) {
      tasks.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    delegate.execute(this::drain);
  }

  /**
   * Runs {@code task} in turn, like {@link #execute}, but not before the future that {@code gate}
   * returns when the task's turn comes has completed (either way); the tasks after it wait with
   * it, no thread blocked meanwhile. The gate is asked at the task's turn, not now, so it can
   * cover what the tasks before it did.
   */
  void executeWhen(Supplier<CompletableFuture<?>> gate, Runnable task) {
    execute(new Gated(gate, task));
  }

  private record Gated(Supplier<CompletableFuture<?>> gate, Runnable task) implements Runnable {
    @Override
    public void run() {
      task.run();
    }
  }

  private void drain() {
    while (true) {
      Runnable next;
      synchronized (this) {
        next = tasks.poll();
        if (next == null) {
          running = false;
          return;
        }
      }
      if (next instanceof Gated g) {
        CompletableFuture<?> open = g.gate().get();
        if (!open.isDone()) {
          // Still running as far as execute() knows, so later tasks queue behind this one.
          open.whenComplete((v, e) -> delegate.execute(() -> {
            runSafely(g);
            drain();
          }));
          return;
        }
      }
      runSafely(next);
    }
  }

  private static void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException | Error e) {
      log.error("session task failed", e);
    }
  }
}
