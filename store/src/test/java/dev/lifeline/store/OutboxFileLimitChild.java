package dev.lifeline.store;

import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The child JVM of {@link OutboxFileLimitTest}, started under {@code ulimit -f}: appends 200-byte
 * messages until the kernel refuses to grow the segment, printing {@code ACK seq} for each durable
 * one, {@code FAIL message} for the first failure and {@code REFUSED message} for an append tried
 * after it; then closes the store and exits.
 */
public final class OutboxFileLimitChild {
  static final String KEY = "file limit outbox";

  private OutboxFileLimitChild() {}

  public static void main(String[] args) throws Exception {
    try (FileCheckpointStore store = FileCheckpointStore.open(Path.of(args[0]))) {
      Outbox outbox = store.openOutbox(KEY);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Semaphore window = new Semaphore(512);
      long seq = outbox.lastSeq();
      while (failure.get() == null) {
        window.acquire();
        long s = ++seq;
        outbox.append(s, OutboxContract.message(s, 200)).whenComplete((ok, error) -> {
          if (error == null) {
            System.out.println("ACK " + s);
          } else if (failure.compareAndSet(null, error)) {
            System.out.println("FAIL " + error.getMessage());
          }
          window.release();
        });
      }
      window.acquire(512); // every future has completed
      try {
        outbox.append(outbox.lastSeq() + 1, OutboxContract.message(0, 10)).join();
        System.out.println("ACCEPTED after the failure");
      } catch (CompletionException e) {
        System.out.println("REFUSED " + e.getCause().getMessage());
      }
    }
  }
}
