package dev.lifeline.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox of a session that expired without coming back is removed with {@link
 * CheckpointStore#deleteOutbox}; one that is open is left to its owner.
 */
class OutboxExpiryTest {
  @TempDir Path dir;

  @Test
  void deleteOutboxRemovesAClosedOutboxAndLeavesAnOpenOne() throws Exception {
    try (FileCheckpointStore store = FileCheckpointStore.open(dir)) {
      byte[] producer;
      try (Outbox outbox = store.openOutbox("gone")) {
        producer = outbox.producerId();
        outbox.append(1, ByteBuffer.wrap(new byte[] {1, 2, 3})).get(10, TimeUnit.SECONDS);
      }
      Outbox held = store.openOutbox("held");
      held.append(1, ByteBuffer.wrap(new byte[] {4})).get(10, TimeUnit.SECONDS);

      store.deleteOutbox("gone");
      store.deleteOutbox("held");
      store.deleteOutbox("never-existed");

      try (Outbox fresh = store.openOutbox("gone")) {
        assertEquals(0, fresh.lastSeq(), "nothing of the expired outbox is left");
        assertFalse(java.util.Arrays.equals(producer, fresh.producerId()), "a new producer");
      }
      assertEquals(1, held.lastSeq());
      held.close();
      try (Outbox again = store.openOutbox("held")) {
        assertEquals(1, again.lastSeq(), "an open outbox is not removed");
        ByteBuffer[] got = new ByteBuffer[1];
        again.read((seq, m) -> got[0] = ByteBuffer.wrap(copy(m)));
        assertArrayEquals(new byte[] {4}, got[0].array());
      }
      try (var files = Files.list(dir.resolve("outbox"))) {
        assertEquals(2, files.count());
      }
    }
  }

  private static byte[] copy(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.duplicate().get(a);
    return a;
  }
}
