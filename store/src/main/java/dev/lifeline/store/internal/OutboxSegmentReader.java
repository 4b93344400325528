package dev.lifeline.store.internal;

import static dev.lifeline.store.internal.OutboxDescriptor.LENGTH_OFFSET;
import static dev.lifeline.store.internal.OutboxDescriptor.MAX_MESSAGE_LENGTH;
import static dev.lifeline.store.internal.OutboxDescriptor.RECORD_HEADER_LENGTH;
import static dev.lifeline.store.internal.OutboxDescriptor.SEGMENT_HEADER_LENGTH;
import static dev.lifeline.store.internal.OutboxDescriptor.SEQ_OFFSET;
import static dev.lifeline.store.internal.OutboxDescriptor.TYPE_OFFSET;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Reads the records of one outbox segment through a window of the file, so that a 64 MiB segment
 * is scanned in a small heap (the window grows only to hold one large message).
 */
final class OutboxSegmentReader implements AutoCloseable {
  private static final int WINDOW = 1 << 20;

  private final Path path;
  private final FileChannel channel;
  private final long end;
  private final CRC32C crc = new CRC32C();
  private ByteBuffer window = ByteBuffer.allocate(WINDOW).limit(0);
  private long windowStart;
  /** Offset in {@link #window} of the record {@link #intactAt} last accepted. */
  private int current;
  private int currentLength;

  /** Reads {@code path} up to {@code end} (or its size if {@code end} is negative). */
  OutboxSegmentReader(Path path, long end) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.READ);
    this.end = end < 0 ? channel.size() : Math.min(end, channel.size());
  }

  Path path() {
    return path;
  }

  /** Bytes readable. */
  long end() {
    return end;
  }

  /** The segment header, or null if the file is shorter than one. */
  ByteBuffer header() throws IOException {
    if (!load(0, SEGMENT_HEADER_LENGTH)) {
      return null;
    }
    return window.duplicate().position(0).limit(SEGMENT_HEADER_LENGTH).slice();
  }

  /**
   * The payload length of an intact record at {@code pos}, or -1 if there is none (short, bad
   * header or checksum); an intact record becomes the current one.
   */
  int intactAt(long pos) throws IOException {
    if (!load(pos, RECORD_HEADER_LENGTH)) {
      return -1;
    }
    int headerAt = (int) (pos - windowStart);
    int length = window.getInt(headerAt + LENGTH_OFFSET);
    byte type = window.get(headerAt + TYPE_OFFSET);
    boolean plausible = type == OutboxDescriptor.TYPE_MESSAGE
        ? length >= 0 && length <= MAX_MESSAGE_LENGTH
        : length == 0 && (type == OutboxDescriptor.TYPE_RESET
            || type == OutboxDescriptor.TYPE_TRIM);
    if (!plausible || !load(pos, RECORD_HEADER_LENGTH + length)) {
      return -1;
    }
    int off = (int) (pos - windowStart);
    int intact = OutboxDescriptor.intactRecordLength(
        window.duplicate().limit(off + RECORD_HEADER_LENGTH + length), off, crc);
    if (intact >= 0) {
      current = off;
      currentLength = intact;
    }
    return intact;
  }

  long seq() {
    return window.getLong(current + SEQ_OFFSET);
  }

  byte type() {
    return window.get(current + TYPE_OFFSET);
  }

  /** The current record's payload, valid until the next call. */
  ByteBuffer payload() {
    int start = current + RECORD_HEADER_LENGTH;
    return window.duplicate().position(start).limit(start + currentLength).slice()
        .asReadOnlyBuffer();
  }

  /**
   * The offset of any intact record after {@code pos}, or -1: tells corruption from a torn tail.
   * A message found there would carry a seq from {@code expectedSeq} to the number of records
   * that still fit; checking that before the checksum keeps a scan over a large damaged segment
   * from loading a window for every garbage length it meets.
   */
  long intactRecordAfter(long pos, long expectedSeq) throws IOException {
    long maxSeq = expectedSeq + (end - pos) / RECORD_HEADER_LENGTH;
    for (long p = pos + 1; p + RECORD_HEADER_LENGTH <= end; p++) {
      if (!load(p, RECORD_HEADER_LENGTH)) {
        return -1;
      }
      int at = (int) (p - windowStart);
      long seq = window.getLong(at + SEQ_OFFSET);
      boolean message = window.get(at + TYPE_OFFSET) == OutboxDescriptor.TYPE_MESSAGE;
      if ((!message || (seq >= expectedSeq && seq <= maxSeq)) && intactAt(p) >= 0) {
        return p;
      }
    }
    return -1;
  }

  /** Makes the window hold {@code [pos, pos + need)}; false if the readable file ends before. */
  private boolean load(long pos, int need) throws IOException {
    if (pos + need > end) {
      return false;
    }
    if (pos >= windowStart && pos + need <= windowStart + window.limit()) {
      return true;
    }
    if (window.capacity() < need) {
      window = ByteBuffer.allocate(need);
    }
    window.clear();
    window.limit((int) Math.min(window.capacity(), end - pos));
    long at = pos;
    while (window.hasRemaining()) {
      int n = channel.read(window, at);
      if (n < 0) {
        break;
      }
      at += n;
    }
    window.flip();
    windowStart = pos;
    return window.limit() >= need;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
