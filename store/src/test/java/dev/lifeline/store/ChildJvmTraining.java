package dev.lifeline.store;

import java.nio.file.Path;

/**
 * The training run behind {@link ChildJvm#sharedArchive()}: does what the crash tests' children do
 * (open a store, commit, snapshot in both formats, reopen and recover) and exits normally, so the
 * JVM can write the classes it loaded into a class-data-sharing archive.
 */
public final class ChildJvmTraining {
  private ChildJvmTraining() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long position = 0;
    for (long flatMaxBytes : new long[] {-1, 1 << 20}) { // MapDB snapshots, then flat ones
      for (int round = 0; round < 2; round++) { // the second round recovers the first
        position++;
        try (FileCheckpointStore store = FileCheckpointStore.builder(dir)
            .snapshotAfterBytes(4096).flatSnapshotMaxBytes(flatMaxBytes).build()) {
          for (int i = 0; i < 20; i++) {
            String id = CrashChild.id(i);
            if (store.load(id).join().isEmpty()) {
              store.put(SessionRecord.builder(id).lastActiveMillis(System.currentTimeMillis())
                  .build()).join();
            }
            store.commit(id, Checkpoint.of(position, CrashChild.state(id, position))).join();
          }
          store.compact().join();
          store.delete(CrashChild.id(0)).join(); // put again, from 1, by the next round
        }
      }
    }
  }
}
