package dev.lifeline.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreCorruptedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flat snapshot format: what it writes, and that every kind of damage is refused. */
class FlatSnapshotFileTest {
  @TempDir Path tmp;
  private StoreDirectory dir;

  @BeforeEach
  void lock() throws Exception {
    dir = StoreDirectory.lock(tmp);
  }

  @AfterEach
  void unlock() {
    dir.close();
  }

  private static Map<String, SessionRecord> records(int n) {
    Map<String, SessionRecord> records = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String id = "s-" + i;
      records.put(id, SessionRecord.builder(id).secret(new byte[] {(byte) i, 7})
          .identity("CN=" + id + " é").createdAtMillis(1000 + i).lastActiveMillis(2000 + i)
          .checkpoint(Checkpoint.of(i * 10L, ("state " + i).getBytes(StandardCharsets.UTF_8)))
          .attributes(new byte[i]).build());
    }
    return records;
  }

  @Test
  void anEmptyStoreIsAHeaderOnlyFileThatReadsBackEmpty() throws Exception {
    Path file = FlatSnapshotFile.write(dir, 4711, Map.of());
    assertEquals(dir.flatSnapshotPath(4711), file);
    assertEquals(FlatSnapshotDescriptor.HEADER_LENGTH, Files.size(file));
    SnapshotContents read = FlatSnapshotFile.read(file, 4711);
    assertEquals(4711, read.lastSequence());
    assertEquals(Map.of(), read.records());
    assertFalse(Files.exists(file.resolveSibling(file.getFileName() + ".tmp")));
  }

  @Test
  void recordsReadBackEqual() throws Exception {
    Map<String, SessionRecord> records = records(25);
    Path file = FlatSnapshotFile.write(dir, 99, records);
    assertEquals(FlatSnapshotDescriptor.HEADER_LENGTH
        + FlatSnapshotFile.bodyLength(records.values()), Files.size(file));
    assertEquals(records, FlatSnapshotFile.read(file, 99).records());
  }

  @Test
  void aFlippedBitInAnyByteIsRefused() throws Exception {
    for (int n : new int[] {0, 3}) {
      Path file = FlatSnapshotFile.write(dir, 12, records(n));
      byte[] good = Files.readAllBytes(file);
      for (int i = 0; i < good.length; i++) {
        byte[] bad = good.clone();
        bad[i] ^= (byte) (1 << (i % 8));
        Files.write(file, bad);
        int at = i;
        assertThrows(StoreCorruptedException.class, () -> FlatSnapshotFile.read(file, 12),
            "byte " + at + " of " + n + " records");
      }
      Files.delete(file);
    }
  }

  @Test
  void truncatedExtendedEmptyOrRenamedFilesAreRefused() throws Exception {
    Path file = FlatSnapshotFile.write(dir, 12, records(2));
    byte[] good = Files.readAllBytes(file);
    for (int length = 0; length < good.length; length++) {
      Files.write(file, java.util.Arrays.copyOf(good, length));
      int cut = length;
      assertThrows(StoreCorruptedException.class, () -> FlatSnapshotFile.read(file, 12),
          "cut to " + cut);
    }
    Files.write(file, good);
    Files.write(file, new byte[] {0}, StandardOpenOption.APPEND);
    assertThrows(StoreCorruptedException.class, () -> FlatSnapshotFile.read(file, 12));
    Files.write(file, good);
    StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
        () -> FlatSnapshotFile.read(file, 13)); // as if renamed to another sequence
    assertEquals(file, e.file());
    assertTrue(e.getMessage().contains("as its name says"), e.getMessage());
  }

  @Test
  void aConsistentlyChecksummedButInconsistentBodyIsRefused() throws Exception {
    // right checksum over wrong content: the count says 2, the body holds 1 record
    Map<String, SessionRecord> one = records(1);
    Path file = FlatSnapshotFile.write(dir, 5, one);
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
    b.putInt(FlatSnapshotDescriptor.COUNT_OFFSET, 2);
    Files.write(file, rechecksummed(b));
    StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
        () -> FlatSnapshotFile.read(file, 5));
    assertTrue(e.getMessage().contains("ends after 1 of 2 records"), e.getMessage());
  }

  private static byte[] rechecksummed(ByteBuffer b) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(b.duplicate().position(0).limit(FlatSnapshotDescriptor.CRC_OFFSET));
    crc.update(b.duplicate().position(FlatSnapshotDescriptor.HEADER_LENGTH).limit(b.limit()));
    b.putInt(FlatSnapshotDescriptor.CRC_OFFSET, (int) crc.getValue());
    return b.array();
  }
}
