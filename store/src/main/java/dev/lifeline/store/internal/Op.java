package dev.lifeline.store.internal;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.SessionRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Work handed to the store's writer thread. */
sealed interface Op {

  /** Roughly how many journal bytes the op adds, to bound a batch. */
  default int estimatedBytes() {
    return 64;
  }

  record Put(SessionRecord record, CompletableFuture<Void> future) implements Op {
    @Override
    public int estimatedBytes() {
      return JournalDescriptor.RECORD_HEADER_LENGTH + RecordCodec.putLength(record);
    }
  }

  record Commit(String id, Checkpoint checkpoint, CompletableFuture<Void> future) implements Op {
    @Override
    public int estimatedBytes() {
      return JournalDescriptor.RECORD_HEADER_LENGTH + RecordCodec.commitLength(id, checkpoint);
    }
  }

  record Delete(String id, CompletableFuture<Void> future) implements Op {}

  record Sweep(CompletableFuture<List<String>> future) implements Op {}

  /** Asks for a snapshot of everything acknowledged before it. */
  record Snapshot(CompletableFuture<Void> future) implements Op {}

  /** A background snapshot finished (error is null on success). */
  record SnapshotDone(Throwable error, List<CompletableFuture<Void>> waiting) implements Op {}

  /** The last op: the writer stops after its batch. */
  record Stop() implements Op {}
}
