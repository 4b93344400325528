package dev.lifeline.store.internal;

import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreCorruptedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;

/**
 * A MapDB snapshot: every live record up to one journal sequence, in a MapDB file (stores too
 * large for a {@link FlatSnapshotFile}).
 *
 * <p>MapDB is used without its transactions: a snapshot is written once to a temporary file,
 * closed, forced to disk, renamed into place and the directory forced. So a snapshot file either
 * exists complete or not at all, and MapDB's write-ahead log (which 3.1.0 never replays on open)
 * plays no part. A {@code meta} entry carries the sequence, the record count and a checksum of all
 * values; reading verifies all three, so a damaged or foreign file is detected rather than
 * trusted.
 */
public final class SnapshotFile {
  private static final String RECORDS = "records";
  private static final String META = "meta";
  private static final int MAGIC = 0x4C4C534E; // "LLSN"
  private static final int VERSION = 1;

  private SnapshotFile() {}

  /** Writes a snapshot of {@code records} as of {@code lastSequence}; durable on return. */
  public static Path write(StoreDirectory dir, long lastSequence,
      Map<String, SessionRecord> records) throws IOException {
    Path target = dir.snapshotPath(lastSequence);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    long checksum = 0;
    DB db = DBMaker.fileDB(tmp.toFile()).fileChannelEnable().checksumStoreEnable().make();
    try {
      HTreeMap<String, byte[]> map =
          db.hashMap(RECORDS, Serializer.STRING, Serializer.BYTE_ARRAY).create();
      for (SessionRecord r : records.values()) {
        byte[] value = encode(r);
        checksum += crc(value);
        map.put(r.id(), value);
      }
      ByteBuffer meta = ByteBuffer.allocate(32).putInt(MAGIC).putInt(VERSION)
          .putLong(lastSequence).putLong(records.size()).putLong(checksum);
      db.hashMap(META, Serializer.STRING, Serializer.BYTE_ARRAY).create().put(META, meta.array());
      db.commit();
    } finally {
      db.close();
    }
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    dir.syncDirectory();
    return target;
  }

  /**
   * Reads and verifies a snapshot.
   *
   * @throws StoreCorruptedException naming the file if it cannot be opened or fails verification
   */
  public static SnapshotContents read(Path file, long expectedSequence)
      throws StoreCorruptedException {
    DB db;
    try {
      db = DBMaker.fileDB(file.toFile()).fileChannelEnable().checksumStoreEnable().readOnly()
          .fileLockDisable().make();
    } catch (RuntimeException | LinkageError e) {
      throw new StoreCorruptedException(file, "not a readable snapshot (" + e + ")", e);
    }
    try {
      return verify(file, expectedSequence, db);
    } catch (StoreCorruptedException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new StoreCorruptedException(file, "unreadable snapshot content (" + e + ")", e);
    } finally {
      closeQuietly(db);
    }
  }

  private static SnapshotContents verify(Path file, long expectedSequence, DB db)
      throws StoreCorruptedException {
    byte[] metaBytes = db.hashMap(META, Serializer.STRING, Serializer.BYTE_ARRAY).open().get(META);
    if (metaBytes == null || metaBytes.length != 32) {
      throw new StoreCorruptedException(file, "snapshot metadata missing");
    }
    ByteBuffer meta = ByteBuffer.wrap(metaBytes);
    if (meta.getInt() != MAGIC || meta.getInt() != VERSION || meta.getLong() != expectedSequence) {
      throw new StoreCorruptedException(file, "snapshot metadata does not match its name");
    }
    long count = meta.getLong();
    long expectedChecksum = meta.getLong();
    Map<String, SessionRecord> records = new HashMap<>();
    long checksum = 0;
    HTreeMap<String, byte[]> map =
        db.hashMap(RECORDS, Serializer.STRING, Serializer.BYTE_ARRAY).open();
    for (Map.Entry<String, byte[]> e : map.entrySet()) {
      checksum += crc(e.getValue());
      SessionRecord r = RecordCodec.readPut(ByteBuffer.wrap(e.getValue()));
      if (!r.id().equals(e.getKey())) {
        throw new StoreCorruptedException(file, "record " + r.id() + " stored as " + e.getKey());
      }
      records.put(r.id(), r);
    }
    if (records.size() != count || checksum != expectedChecksum) {
      throw new StoreCorruptedException(file, "snapshot holds " + records.size()
          + " records with checksum " + checksum + " (expected: " + count + " with " + expectedChecksum
          + ")");
    }
    return new SnapshotContents(expectedSequence, records);
  }

  private static byte[] encode(SessionRecord r) {
    ByteBuffer b = ByteBuffer.allocate(RecordCodec.putLength(r));
    RecordCodec.writePut(b, r);
    return b.array();
  }

  private static long crc(byte[] value) {
    CRC32C crc = new CRC32C();
    crc.update(value);
    return crc.getValue();
  }

  private static void closeQuietly(DB db) {
    try {
      db.close();
    } catch (RuntimeException ignored) {
      // read-only: nothing to lose
    }
  }
}
