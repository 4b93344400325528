package dev.lifeline.store.internal;

/**
 * The on-disk layout of journal segments, written down once. All integers are big-endian.
 *
 * <p>A segment file {@code journal-<first sequence, 20 digits>.log} starts with a header:
 *
 * <pre>
 *   0               4               8                               16
 *   +---------------+---------------+-------------------------------+
 *   | magic "LLJN"  | version (1)   | first sequence (long)         |
 *   +---------------+---------------+-------------------------------+
 * </pre>
 *
 * <p>followed by records, each:
 *
 * <pre>
 *   0               4               8                               16      17
 *   +---------------+---------------+-------------------------------+-------+---------------+
 *   | crc32c (int)  | length (int)  | sequence (long)               | type  | payload ...   |
 *   +---------------+---------------+-------------------------------+-------+---------------+
 *                   |&lt;------------------- covered by crc32c --------------------------------&gt;|
 * </pre>
 *
 * <p>{@code length} is the payload length. Sequences are consecutive across all segments of a
 * store, starting at 1. Payloads by type:
 *
 * <pre>
 *   PUT    (1): id | secret u16+bytes | identity u16+UTF-8 | createdAt long | lastActive long
 *               | position long | state int+bytes | attributes int+bytes
 *   COMMIT (2): id | lastActive long | position long | state int+bytes
 *   DELETE (3): id
 *   where id = length byte + ASCII bytes
 * </pre>
 *
 * <p>The PUT payload is also the value a snapshot stores for each record.
 */
public final class JournalDescriptor {
  public static final int SEGMENT_MAGIC = 0x4C4C4A4E; // "LLJN"
  public static final int SEGMENT_VERSION = 1;
  public static final int SEGMENT_HEADER_LENGTH = 16;
  public static final int SEGMENT_MAGIC_OFFSET = 0;
  public static final int SEGMENT_VERSION_OFFSET = 4;
  public static final int SEGMENT_FIRST_SEQUENCE_OFFSET = 8;

  public static final int CRC_OFFSET = 0;
  public static final int LENGTH_OFFSET = 4;
  public static final int SEQUENCE_OFFSET = 8;
  public static final int TYPE_OFFSET = 16;
  public static final int RECORD_HEADER_LENGTH = 17;
  /** Where the checksummed bytes of a record start. */
  public static final int CRC_COVERAGE_OFFSET = LENGTH_OFFSET;

  public static final byte TYPE_PUT = 1;
  public static final byte TYPE_COMMIT = 2;
  public static final byte TYPE_DELETE = 3;

  /** Larger than the largest valid payload (a PUT of a record at every size limit). */
  public static final int MAX_PAYLOAD_LENGTH = 256 * 1024;

  private JournalDescriptor() {}

  public static boolean isKnownType(byte type) {
    return type == TYPE_PUT || type == TYPE_COMMIT || type == TYPE_DELETE;
  }
}
