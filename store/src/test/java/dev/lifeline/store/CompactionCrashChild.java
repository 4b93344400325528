package dev.lifeline.store;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The child JVM of {@link CompactionCrashTest}: a client-like store that compacts all the time.
 * Deletes what an earlier child left, prints {@code READY}, then for session after session: put,
 * two commits, delete (every third session is kept until two sessions later, so the live set is
 * empty or one record) and compact, each printed only after its future completed: {@code PUT id
 * ok}, {@code ACK id position ok}, {@code DELETING id} (before the delete is issued), {@code DEL id
 * ok}, {@code COMPACTING}, {@code COMPACTED}. It never exits by itself: the parent kills it.
 */
public final class CompactionCrashChild {
  private static final PrintStream out = System.out;

  private CompactionCrashChild() {}

  public static void main(String[] args) throws Exception {
    FileCheckpointStore store = FileCheckpointStore.builder(Path.of(args[0]))
        .snapshotAfterBytes(4096).build();
    for (String id : store.ids().join()) {
      delete(store, id);
    }
    out.println("READY");
    String tag = args[1];
    String kept = null;
    for (int n = 0; ; n++) {
      String id = tag + "-" + n;
      store.put(SessionRecord.builder(id).identity("CN=" + id)
          .lastActiveMillis(System.currentTimeMillis()).build()).join();
      out.println("PUT " + id + " ok");
      for (long position = 1; position <= 2; position++) {
        store.commit(id, Checkpoint.of(position, CrashChild.state(id, position))).join();
        out.println("ACK " + id + " " + position + " ok");
      }
      if (n % 3 == 0) {
        kept = id;
      } else {
        delete(store, id);
      }
      if (n % 3 == 2) {
        delete(store, kept);
      }
      out.println("COMPACTING");
      store.compact().join();
      out.println("COMPACTED");
    }
  }

  private static void delete(CheckpointStore store, String id) {
    out.println("DELETING " + id);
    store.delete(id).join();
    out.println("DEL " + id + " ok");
  }
}
