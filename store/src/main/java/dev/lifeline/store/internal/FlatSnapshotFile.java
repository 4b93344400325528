package dev.lifeline.store.internal;

import static dev.lifeline.store.internal.FlatSnapshotDescriptor.BODY_LENGTH_OFFSET;
import static dev.lifeline.store.internal.FlatSnapshotDescriptor.COUNT_OFFSET;
import static dev.lifeline.store.internal.FlatSnapshotDescriptor.CRC_OFFSET;
import static dev.lifeline.store.internal.FlatSnapshotDescriptor.HEADER_LENGTH;
import static dev.lifeline.store.internal.FlatSnapshotDescriptor.LAST_SEQUENCE_OFFSET;
import static dev.lifeline.store.internal.FlatSnapshotDescriptor.MAGIC;
import static dev.lifeline.store.internal.FlatSnapshotDescriptor.MAGIC_OFFSET;
import static dev.lifeline.store.internal.FlatSnapshotDescriptor.RECORD_LENGTH_PREFIX;
import static dev.lifeline.store.internal.FlatSnapshotDescriptor.VERSION;
import static dev.lifeline.store.internal.FlatSnapshotDescriptor.VERSION_OFFSET;

import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreCorruptedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A flat snapshot: every live record up to one journal sequence in one small checksummed file
 * (layout in {@link FlatSnapshotDescriptor}), read back without MapDB. The store writes one
 * instead of a MapDB snapshot when the records are small, above all when there are none: a
 * client that deleted every finished transfer compacts to a 28-byte file that opens in
 * microseconds, where opening even an empty MapDB file costs a cold JVM ~0.4 CPU s of class
 * loading.
 *
 * <p>Written with the same protocol as a MapDB snapshot: a temporary file, forced, renamed into
 * place, the directory forced. So it either exists complete or not at all, and verification
 * (length, magic, version, sequence against the name, checksum, every record decodable, ids
 * unique, count) finds a damaged or foreign file rather than trusting it.
 */
public final class FlatSnapshotFile {
  private FlatSnapshotFile() {}

  /** The size of the body a flat snapshot of {@code records} would have. */
  public static long bodyLength(Collection<SessionRecord> records) {
    long length = 0;
    for (SessionRecord r : records) {
      length += RECORD_LENGTH_PREFIX + RecordCodec.putLength(r);
    }
    return length;
  }

  /** Writes a flat snapshot of {@code records} as of {@code lastSequence}; durable on return. */
  public static Path write(StoreDirectory dir, long lastSequence,
      Map<String, SessionRecord> records) throws IOException {
    long bodyLength = bodyLength(records.values());
    if (HEADER_LENGTH + bodyLength > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("flat snapshot of " + bodyLength
          + " bytes (expected: < 2 GiB)");
    }
    ByteBuffer file = ByteBuffer.allocate(HEADER_LENGTH + (int) bodyLength);
    file.putInt(MAGIC).putInt(VERSION).putLong(lastSequence).putInt(records.size())
        .putInt((int) bodyLength).putInt(0);
    for (SessionRecord r : records.values()) {
      file.putInt(RecordCodec.putLength(r));
      RecordCodec.writePut(file, r);
    }
    file.putInt(CRC_OFFSET, checksum(file, file.position()));
    file.flip();

    Path target = dir.flatSnapshotPath(lastSequence);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      while (file.hasRemaining()) {
        ch.write(file);
      }
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    dir.syncDirectory();
    return target;
  }

  /**
   * Reads and verifies a flat snapshot.
   *
   * @throws StoreCorruptedException naming the file if it fails any check
   */
  public static SnapshotContents read(Path file, long expectedSequence) throws IOException {
    ByteBuffer data = readAll(file);
    if (data.limit() < HEADER_LENGTH) {
      throw new StoreCorruptedException(file, "flat snapshot of " + data.limit()
          + " bytes (expected: at least " + HEADER_LENGTH + ")");
    }
    if (data.getInt(MAGIC_OFFSET) != MAGIC || data.getInt(VERSION_OFFSET) != VERSION) {
      throw new StoreCorruptedException(file, "not a flat snapshot (expected: magic "
          + Integer.toHexString(MAGIC) + ", version " + VERSION + ")");
    }
    int count = data.getInt(COUNT_OFFSET);
    int bodyLength = data.getInt(BODY_LENGTH_OFFSET);
    if (bodyLength < 0 || count < 0 || HEADER_LENGTH + (long) bodyLength != data.limit()) {
      throw new StoreCorruptedException(file, "flat snapshot of " + data.limit()
          + " bytes says its body is " + bodyLength + " bytes (expected: " + HEADER_LENGTH
          + " + body length)");
    }
    if (checksum(data, data.limit()) != data.getInt(CRC_OFFSET)) {
      throw new StoreCorruptedException(file, "flat snapshot fails its checksum");
    }
    if (data.getLong(LAST_SEQUENCE_OFFSET) != expectedSequence) {
      throw new StoreCorruptedException(file, "flat snapshot of sequence "
          + data.getLong(LAST_SEQUENCE_OFFSET) + " (expected: " + expectedSequence
          + " as its name says)");
    }
    try {
      return new SnapshotContents(expectedSequence, records(file, data, count));
    } catch (RuntimeException e) {
      throw new StoreCorruptedException(file, "undecodable flat snapshot content (" + e + ")", e);
    }
  }

  private static Map<String, SessionRecord> records(Path file, ByteBuffer data, int count)
      throws StoreCorruptedException {
    Map<String, SessionRecord> records = new HashMap<>();
    int pos = HEADER_LENGTH;
    for (int i = 0; i < count; i++) {
      if (data.limit() - pos < RECORD_LENGTH_PREFIX) {
        throw new StoreCorruptedException(file, "flat snapshot ends after " + i + " of " + count
            + " records");
      }
      int length = data.getInt(pos);
      pos += RECORD_LENGTH_PREFIX;
      if (length < 0 || length > data.limit() - pos) {
        throw new StoreCorruptedException(file, "record " + i + " of " + length
            + " bytes at offset " + pos + " runs past the end");
      }
      SessionRecord r = RecordCodec.readPut(data.duplicate().position(pos).limit(pos + length)
          .slice());
      if (records.put(r.id(), r) != null) {
        throw new StoreCorruptedException(file, "record " + r.id() + " stored twice");
      }
      pos += length;
    }
    if (pos != data.limit()) {
      throw new StoreCorruptedException(file, (data.limit() - pos) + " bytes after " + count
          + " records (expected: 0)");
    }
    return records;
  }

  /** CRC32C of the header before the checksum field and of the body, which ends at {@code end}. */
  private static int checksum(ByteBuffer file, int end) {
    CRC32C crc = new CRC32C();
    crc.update(file.duplicate().position(0).limit(CRC_OFFSET));
    crc.update(file.duplicate().position(HEADER_LENGTH).limit(end));
    return (int) crc.getValue();
  }

  private static ByteBuffer readAll(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE - 8) {
        throw new StoreCorruptedException(path, "flat snapshot of " + size
            + " bytes (expected: < 2 GiB)");
      }
      ByteBuffer data = ByteBuffer.allocate((int) size);
      while (data.hasRemaining() && ch.read(data) >= 0) {
        // keep reading
      }
      return data.flip();
    }
  }
}
