package dev.lifeline.store.internal;

import static dev.lifeline.store.internal.JournalDescriptor.CRC_COVERAGE_OFFSET;
import static dev.lifeline.store.internal.JournalDescriptor.CRC_OFFSET;
import static dev.lifeline.store.internal.JournalDescriptor.LENGTH_OFFSET;
import static dev.lifeline.store.internal.JournalDescriptor.MAX_PAYLOAD_LENGTH;
import static dev.lifeline.store.internal.JournalDescriptor.RECORD_HEADER_LENGTH;
import static dev.lifeline.store.internal.JournalDescriptor.SEGMENT_HEADER_LENGTH;
import static dev.lifeline.store.internal.JournalDescriptor.SEQUENCE_OFFSET;
import static dev.lifeline.store.internal.JournalDescriptor.TYPE_OFFSET;

import dev.lifeline.store.StoreCorruptedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a journal segment and tells torn tails from corruption.
 *
 * <p>Only the last segment can have a torn tail: the writer forces every batch before it
 * acknowledges it, and starts a new segment only after the previous one is complete. So a record
 * that fails its checks at the end of the last segment is an unacknowledged, partly written
 * batch: it is truncated away and logged. A bad record in an earlier segment, or one in the last
 * segment that is followed by an intact record, sits inside acknowledged data: that is
 * corruption, reported with the file and offset, never skipped.
 */
public final class JournalReader {
  private static final Logger log = LoggerFactory.getLogger(JournalReader.class);

  /** Receives each intact record in order; the payload buffer is only valid during the call. */
  @FunctionalInterface
  public interface Visitor {
    void record(long sequence, byte type, ByteBuffer payload, long offset)
        throws StoreCorruptedException;
  }

  /**
   * What a segment held: its records end at {@code end}, the last has sequence {@code
   * lastSequence} ({@code firstSequence - 1} when it holds none); {@code removed} if the segment
   * was an unfinished creation and was deleted.
   */
  public record Segment(long lastSequence, long end, boolean removed) {}

  private JournalReader() {}

  /**
   * Reads every record of the segment at {@code path}, named for {@code firstSequence}.
   *
   * @param last whether this is the newest segment (the only one that may have a torn tail)
   */
  public static Segment read(Path path, long firstSequence, boolean last, Visitor visitor)
      throws IOException {
    ByteBuffer data = readAll(path);
    if (!checkHeader(path, data, firstSequence, last)) {
      log.warn("removing journal segment {}: its creation was interrupted (no records)", path);
      Files.delete(path);
      return new Segment(firstSequence - 1, 0, true);
    }
    long expected = firstSequence;
    int pos = SEGMENT_HEADER_LENGTH;
    while (pos < data.limit()) {
      int length = intactRecordLength(data, pos, expected);
      if (length < 0) {
        return damagedRecord(path, data, pos, expected, last);
      }
      byte type = data.get(pos + TYPE_OFFSET);
      if (!JournalDescriptor.isKnownType(type)) {
        throw new StoreCorruptedException(path, "unknown record type " + type + " at offset "
            + pos);
      }
      ByteBuffer payload = data.duplicate().position(pos + RECORD_HEADER_LENGTH)
          .limit(pos + RECORD_HEADER_LENGTH + length).slice();
      visitor.record(expected, type, payload, pos);
      expected++;
      pos += RECORD_HEADER_LENGTH + length;
    }
    return new Segment(expected - 1, pos, false);
  }

  /** True if the header is intact; false if this is an interrupted creation of the last segment. */
  private static boolean checkHeader(Path path, ByteBuffer data, long firstSequence, boolean last)
      throws StoreCorruptedException {
    if (data.limit() < SEGMENT_HEADER_LENGTH || !validHeader(data, firstSequence)) {
      if (last && data.limit() <= SEGMENT_HEADER_LENGTH) {
        return false;
      }
      throw new StoreCorruptedException(path, "bad segment header (expected: magic "
          + Integer.toHexString(JournalDescriptor.SEGMENT_MAGIC) + ", version "
          + JournalDescriptor.SEGMENT_VERSION + ", first sequence " + firstSequence + ")");
    }
    return true;
  }

  private static boolean validHeader(ByteBuffer data, long firstSequence) {
    return data.getInt(JournalDescriptor.SEGMENT_MAGIC_OFFSET) == JournalDescriptor.SEGMENT_MAGIC
        && data.getInt(JournalDescriptor.SEGMENT_VERSION_OFFSET)
            == JournalDescriptor.SEGMENT_VERSION
        && data.getLong(JournalDescriptor.SEGMENT_FIRST_SEQUENCE_OFFSET) == firstSequence;
  }

  /** The payload length of an intact record at {@code pos} with sequence {@code expected}, or -1. */
  static int intactRecordLength(ByteBuffer data, int pos, long expected) {
    if (data.limit() - pos < RECORD_HEADER_LENGTH) {
      return -1;
    }
    int length = data.getInt(pos + LENGTH_OFFSET);
    if (length < 0 || length > MAX_PAYLOAD_LENGTH
        || length > data.limit() - pos - RECORD_HEADER_LENGTH
        || data.getLong(pos + SEQUENCE_OFFSET) != expected) {
      return -1;
    }
    CRC32C crc = new CRC32C();
    crc.update(data.duplicate().position(pos + CRC_COVERAGE_OFFSET)
        .limit(pos + RECORD_HEADER_LENGTH + length));
    return (int) crc.getValue() == data.getInt(pos + CRC_OFFSET) ? length : -1;
  }

  private static Segment damagedRecord(Path path, ByteBuffer data, int pos, long expected,
      boolean last) throws IOException {
    if (!last) {
      throw new StoreCorruptedException(path, "damaged record (sequence " + expected
          + ") at offset " + pos + " of " + data.limit() + " in a sealed segment");
    }
    int later = findIntactRecordAfter(data, pos, expected);
    if (later >= 0) {
      throw new StoreCorruptedException(path, "damaged record (sequence " + expected
          + ") at offset " + pos + " is followed by an intact record at offset " + later);
    }
    log.warn("truncating torn tail of journal {} at offset {} ({} bytes of an unacknowledged "
        + "write dropped)", path, pos, data.limit() - pos);
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
      ch.truncate(pos);
      ch.force(false);
    }
    return new Segment(expected - 1, pos, false);
  }

  /**
   * Looks for any intact record after a damaged one. Sequences are consecutive, so a later record
   * carries a sequence between {@code expected} and the number of records that could still fit.
   */
  private static int findIntactRecordAfter(ByteBuffer data, int damaged, long expected) {
    long maxSequence = expected + (data.limit() - damaged) / RECORD_HEADER_LENGTH;
    for (int p = damaged + 1; p + RECORD_HEADER_LENGTH <= data.limit(); p++) {
      long seq = data.getLong(p + SEQUENCE_OFFSET);
      if (seq >= expected && seq <= maxSequence && intactRecordLength(data, p, seq) >= 0) {
        return p;
      }
    }
    return -1;
  }

  private static ByteBuffer readAll(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE - 8) {
        throw new StoreCorruptedException(path, "segment of " + size + " bytes (expected: < 2 GiB)");
      }
      ByteBuffer data = ByteBuffer.allocate((int) size);
      while (data.hasRemaining() && ch.read(data) >= 0) {
        // keep reading
      }
      return data.flip();
    }
  }
}
