package dev.lifeline.store.internal;

/**
 * The on-disk layout of a flat snapshot, {@code snapshot-<last sequence, 20 digits>.flat}: every
 * live record up to one journal sequence in one checksummed file, for stores whose records are
 * small (an empty store's is 28 bytes). All integers are big-endian.
 *
 * <pre>
 *   0          4          8                  16         20         24         28
 *   +----------+----------+------------------+----------+----------+----------+
 *   | magic    | version  | last sequence    | record   | body     | crc32c   |
 *   | "LLSF"   | (1)      | (long)           | count    | length   | (int)    |
 *   +----------+----------+------------------+----------+----------+----------+
 *   |&lt;------------------ covered by crc32c ------------------&gt;|
 *
 *   body: record count times
 *   +--------------+-------------------------------------+
 *   | length (int) | PUT payload (see JournalDescriptor) |   also covered by the crc32c
 *   +--------------+-------------------------------------+
 * </pre>
 *
 * <p>The file is exactly {@code HEADER_LENGTH + body length} bytes; the checksum covers the
 * header's first 24 bytes and the whole body, so a truncated, extended, renamed or foreign file
 * fails verification.
 */
public final class FlatSnapshotDescriptor {
  public static final int MAGIC = 0x4C4C5346; // "LLSF"
  public static final int VERSION = 1;
  public static final int MAGIC_OFFSET = 0;
  public static final int VERSION_OFFSET = 4;
  public static final int LAST_SEQUENCE_OFFSET = 8;
  public static final int COUNT_OFFSET = 16;
  public static final int BODY_LENGTH_OFFSET = 20;
  public static final int CRC_OFFSET = 24;
  public static final int HEADER_LENGTH = 28;
  /** Bytes before each record's payload: its length. */
  public static final int RECORD_LENGTH_PREFIX = 4;

  private FlatSnapshotDescriptor() {}
}
