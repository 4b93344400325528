package dev.lifeline.store;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;

/**
 * The child JVM of {@link OutboxCrashTest}: opens the outbox, prints {@code READY first last},
 * then appends the messages after {@code last} forever (a bounded number in flight), printing
 * {@code ACK seq} once an append's future completed and {@code TRIM seq} just before trimming.
 * It never exits by itself: the parent kills it.
 */
public final class OutboxCrashChild {
  static final String KEY = "crash outbox";
  private static final int IN_FLIGHT = 4096;

  private OutboxCrashChild() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(
        new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false);
    FileCheckpointStore store = FileCheckpointStore.open(Path.of(args[0]));
    Outbox outbox = store.openOutbox(KEY);
    long seq = outbox.lastSeq();
    synchronized (out) {
      out.println("READY " + outbox.firstSeq() + " " + seq);
      out.flush();
    }
    Semaphore window = new Semaphore(IN_FLIGHT);
    while (true) {
      window.acquire();
      long s = ++seq;
      outbox.append(s, OutboxContract.message(s, 200)).whenComplete((ok, error) -> {
        window.release();
        synchronized (out) {
          out.println(error == null ? "ACK " + s : "FAIL " + s + " " + error);
          if (s % 64 == 0 || error != null) {
            out.flush(); // whatever the kill cuts off is simply not known to the parent
          }
        }
      });
      if (s % 20_000 == 0) {
        synchronized (out) {
          out.println("TRIM " + (s - 10_000));
          out.flush();
        }
        outbox.trim(s - 10_000);
      }
    }
  }
}
