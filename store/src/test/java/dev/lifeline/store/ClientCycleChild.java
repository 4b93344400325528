package dev.lifeline.store;

import java.nio.file.Path;

/**
 * Child JVM main for {@link FlatSnapshotTest}: what a short-lived client does with its store.
 * Opens the store in {@code args[0]}, stores a session, commits a checkpoint, deletes the
 * session, compacts, closes, and prints {@code DONE} and the number of live sessions it found.
 */
public final class ClientCycleChild {
  private ClientCycleChild() {}

  public static void main(String[] args) throws Exception {
    int found;
    try (FileCheckpointStore store = FileCheckpointStore.builder(Path.of(args[0])).build()) {
      found = store.ids().join().size();
      String id = "child-" + ProcessHandle.current().pid();
      store.put(SessionRecord.builder(id).lastActiveMillis(System.currentTimeMillis()).build())
          .join();
      store.commit(id, Checkpoint.of(1, new byte[] {1})).join();
      store.delete(id).join();
      store.compact().join();
    }
    System.out.println("DONE " + found);
  }
}
