package dev.lifeline.store;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

/**
 * The child JVM of {@link CrashTest}: opens the store, creates its sessions if needed, prints
 * {@code READY}, then keeps one commit in flight per session forever and prints {@code ACK id
 * position ok} for each only after its future completed. It never exits by itself: the parent
 * kills it.
 */
public final class CrashChild {
  static final int SESSIONS = 48;
  private static final PrintStream out = System.out;

  private CrashChild() {}

  /** The application state a checkpoint carries: 0..64 KiB, determined by session and position. */
  static byte[] state(String id, long position) {
    Random r = new Random(id.hashCode() * 1_000_003L + position);
    int size = r.nextInt(8) == 0 ? r.nextInt(Checkpoint.MAX_STATE_BYTES + 1) : r.nextInt(256);
    byte[] state = new byte[size];
    r.nextBytes(state);
    return state;
  }

  static String id(int i) {
    return "crash-" + i;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    FileCheckpointStore store = FileCheckpointStore.builder(dir)
        .snapshotAfterBytes(128 << 10) // snapshots and retention run while being killed
        .flatSnapshotMaxBytes(Long.parseLong(args[2])) // -1: MapDB snapshots, else mostly flat
        .build();
    long[] next = new long[SESSIONS];
    for (int i = 0; i < SESSIONS; i++) {
      Optional<SessionRecord> r = store.load(id(i)).join();
      if (r.isEmpty()) {
        store.put(SessionRecord.builder(id(i)).lastActiveMillis(System.currentTimeMillis())
            .build()).join();
        out.println("PUT " + id(i) + " ok");
      }
      next[i] = r.map(x -> x.checkpoint().position()).orElse(0L) + 1;
    }
    out.println("READY");
    Random random = new Random(Long.parseLong(args[1]));
    for (int i = 0; i < SESSIONS; i++) {
      commitLoop(store, id(i), next[i], random.nextInt(3) + 1);
    }
    new CountDownLatch(1).await(); // until killed
  }

  /** Commits {@code position}, prints the acknowledgement, then commits the next one. */
  private static void commitLoop(CheckpointStore store, String id, long position, int step) {
    store.commit(id, Checkpoint.of(position, state(id, position))).whenComplete((ok, error) -> {
      if (error != null) {
        out.println("FAIL " + id + " " + position + " " + error);
        return;
      }
      out.println("ACK " + id + " " + position + " ok");
      commitLoop(store, id, position + step, step);
    });
  }
}
