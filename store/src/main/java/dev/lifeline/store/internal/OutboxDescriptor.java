package dev.lifeline.store.internal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of a file outbox, written down once. All integers are big-endian.
 *
 * <pre>
 *   store-dir/outbox/&lt;first 32 hex chars of SHA-256(key)&gt;/
 *     meta                          format version, the key, the producer id (written once)
 *     meta.tmp                      an unfinished meta file; removed on open
 *     segment-&lt;number, 20 digits&gt;.log   append-only segments, numbered from 1 without gaps
 * </pre>
 *
 * <p>The meta file:
 *
 * <pre>
 *   0          4          8                       24         26
 *   +----------+----------+-----------------------+----------+-------------+--------------+
 *   | magic    | version  | producer id           | key      | key         | crc32c (int) |
 *   | "LLOM"   | (1)      | (16 bytes)            | length   | (ASCII)     | of all before|
 *   +----------+----------+-----------------------+----------+-------------+--------------+
 * </pre>
 *
 * <p>A segment starts with a header naming the sequence the outbox had reached when it was
 * created, so that after older segments are deleted the oldest remaining one still says where
 * the numbering stands:
 *
 * <pre>
 *   0          4          8                    16                   24         28
 *   +----------+----------+--------------------+--------------------+----------+
 *   | magic    | version  | segment number     | last seq before    | crc32c   |
 *   | "LLOS"   | (1)      | (long)             | this segment (long)| (int)    |
 *   +----------+----------+--------------------+--------------------+----------+
 * </pre>
 *
 * <p>followed by records, framed as the store's journal frames them:
 *
 * <pre>
 *   0               4               8                               16      17
 *   +---------------+---------------+-------------------------------+-------+---------------+
 *   | crc32c (int)  | length (int)  | seq (long)                    | type  | payload ...   |
 *   +---------------+---------------+-------------------------------+-------+---------------+
 *                   |&lt;------------------- covered by crc32c --------------------------------&gt;|
 *
 *   MESSAGE (1): seq = the message's sequence (always the previous last + 1); payload = message
 *   RESET   (2): seq = the next sequence; every message before is dropped; no payload
 *   TRIM    (3): seq = the peer holds every message up to here; no payload
 * </pre>
 */
public final class OutboxDescriptor {
  public static final int META_MAGIC = 0x4C4C4F4D; // "LLOM"
  public static final int META_VERSION = 1;
  public static final int PRODUCER_ID_LENGTH = 16;
  /** Magic, version, producer id, key length. */
  public static final int META_FIXED_LENGTH = 4 + 4 + PRODUCER_ID_LENGTH + 2;
  public static final int MAX_KEY_LENGTH = 1024;

  public static final int SEGMENT_MAGIC = 0x4C4C4F53; // "LLOS"
  public static final int SEGMENT_VERSION = 1;
  public static final int SEGMENT_NUMBER_OFFSET = 8;
  public static final int SEGMENT_START_OFFSET = 16;
  public static final int SEGMENT_CRC_OFFSET = 24;
  public static final int SEGMENT_HEADER_LENGTH = 28;

  public static final int CRC_OFFSET = 0;
  public static final int LENGTH_OFFSET = 4;
  public static final int SEQ_OFFSET = 8;
  public static final int TYPE_OFFSET = 16;
  public static final int RECORD_HEADER_LENGTH = 17;

  public static final byte TYPE_MESSAGE = 1;
  public static final byte TYPE_RESET = 2;
  public static final byte TYPE_TRIM = 3;

  /** The largest message: the session protocol's largest frame. */
  public static final int MAX_MESSAGE_LENGTH = 16 * 1024 * 1024;
  /** A segment is closed and a new one started once a batch would take it past this size. */
  public static final long SEGMENT_ROLL_BYTES = 64L << 20;

  private OutboxDescriptor() {}

  /** Encodes one record at {@code buf}'s position and advances it. */
  static void putRecord(ByteBuffer buf, CRC32C crc, long seq, byte type, ByteBuffer payload) {
    int start = buf.position();
    int length = payload == null ? 0 : payload.remaining();
    buf.putInt(0).putInt(length).putLong(seq).put(type);
    if (payload != null) {
      buf.put(payload.duplicate());
    }
    crc.reset();
    crc.update(buf.array(), buf.arrayOffset() + start + LENGTH_OFFSET,
        RECORD_HEADER_LENGTH - LENGTH_OFFSET + length);
    buf.putInt(start + CRC_OFFSET, (int) crc.getValue());
  }

  /**
   * The payload length of the intact record at {@code pos} of {@code data} (which must hold the
   * whole record for it to count), or -1 if its header or checksum does not hold up.
   */
  static int intactRecordLength(ByteBuffer data, int pos, CRC32C crc) {
    if (data.limit() - pos < RECORD_HEADER_LENGTH) {
      return -1;
    }
    int length = data.getInt(pos + LENGTH_OFFSET);
    byte type = data.get(pos + TYPE_OFFSET);
    if (length < 0 || length > MAX_MESSAGE_LENGTH
        || length > data.limit() - pos - RECORD_HEADER_LENGTH
        || type < TYPE_MESSAGE || type > TYPE_TRIM || (type != TYPE_MESSAGE && length != 0)) {
      return -1;
    }
    crc.reset();
    crc.update(data.duplicate().position(pos + LENGTH_OFFSET)
        .limit(pos + RECORD_HEADER_LENGTH + length));
    return (int) crc.getValue() == data.getInt(pos + CRC_OFFSET) ? length : -1;
  }

  /** A segment header for segment {@code number} created when the last seq was {@code before}. */
  static ByteBuffer segmentHeader(long number, long before) {
    ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER_LENGTH)
        .putInt(SEGMENT_MAGIC).putInt(SEGMENT_VERSION).putLong(number).putLong(before);
    CRC32C crc = new CRC32C();
    crc.update(header.array(), 0, SEGMENT_CRC_OFFSET);
    return header.putInt((int) crc.getValue()).flip();
  }

  /** Whether {@code header} (28 bytes) is a valid header of segment {@code number}. */
  static boolean validSegmentHeader(ByteBuffer header, long number) {
    CRC32C crc = new CRC32C();
    crc.update(header.duplicate().position(0).limit(SEGMENT_CRC_OFFSET));
    return header.getInt(0) == SEGMENT_MAGIC && header.getInt(4) == SEGMENT_VERSION
        && header.getLong(SEGMENT_NUMBER_OFFSET) == number
        && header.getInt(SEGMENT_CRC_OFFSET) == (int) crc.getValue();
  }
}
