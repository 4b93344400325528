package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.SessionRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's state store stays small however many transfers ran: each run of the client opens
 * it, stores a session, checkpoints it, deletes it and closes, and what the next start has to
 * replay stays bounded, with an interrupted transfer kept throughout.
 */
class ClientStateStoreTest {
  @TempDir Path state;

  @Test
  void manyRunsKeepTheJournalBoundedAndAnInterruptedTransfer() throws Exception {
    long now = System.currentTimeMillis();
    byte[] big = new byte[48 << 10]; // so that a few runs write what hundreds of small ones do
    try (CheckpointStore store = TransferRunner.openState(state)) {
      store.put(SessionRecord.builder("interrupted").lastActiveMillis(now).build()).join();
      store.commit("interrupted", Checkpoint.of(42, new byte[] {4, 2})).join();
    }
    long written = 0;
    long largest = 0;
    for (int run = 0; run < 60; run++) {
      try (CheckpointStore store = TransferRunner.openState(state)) {
        String id = "run-" + run;
        store.put(SessionRecord.builder(id).lastActiveMillis(now).attributes(big).build()).join();
        for (long position = 1; position <= 3; position++) {
          store.commit(id, Checkpoint.of(position, new byte[64])).join();
        }
        store.delete(id).join();
        assertEquals(List.of("interrupted"), store.ids().join());
      }
      written += big.length;
      largest = Math.max(largest, bytes("journal-"));
    }
    assertTrue(written > 8 * TransferRunner.STATE_SNAPSHOT_AFTER_BYTES, "wrote " + written);
    // the journal holds at most what came after the older of two snapshots, each taken after
    // STATE_SNAPSHOT_AFTER_BYTES, plus one run
    assertTrue(largest < 2 * TransferRunner.STATE_SNAPSHOT_AFTER_BYTES + 2 * big.length,
        "journal grew to " + largest + " bytes");
    // few records (the interrupted one, perhaps the run's own): flat snapshots, no MapDB
    assertTrue(names().stream().anyMatch(f -> f.endsWith(".flat")), names().toString());
    assertTrue(names().stream().noneMatch(f -> f.endsWith(".db")), names().toString());
    try (CheckpointStore store = TransferRunner.openState(state)) {
      assertEquals(42, store.load("interrupted").join().orElseThrow().checkpoint().position());
    }
  }

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.list(state)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private long bytes(String prefix) throws IOException {
    long sum = 0;
    try (Stream<Path> files = Files.list(state)) {
      for (Path p : files.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
        sum += Files.size(p);
      }
    }
    return sum;
  }
}
