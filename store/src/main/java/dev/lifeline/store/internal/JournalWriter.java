package dev.lifeline.store.internal;

import static dev.lifeline.store.internal.JournalDescriptor.CRC_COVERAGE_OFFSET;
import static dev.lifeline.store.internal.JournalDescriptor.CRC_OFFSET;
import static dev.lifeline.store.internal.JournalDescriptor.LENGTH_OFFSET;
import static dev.lifeline.store.internal.JournalDescriptor.RECORD_HEADER_LENGTH;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Appends batches of records to the current journal segment. Used only by the store's writer
 * thread.
 *
 * <p>A batch is encoded into one buffer, written at the end of the synced data and forced with
 * {@code force(false)} (fdatasync). Only when that returned does {@link #durableEnd()} move. If
 * writing or forcing fails, {@link #rollback()} truncates the segment back to the durable end, so
 * no record of a failed batch is replayed after a later successful batch.
 */
public final class JournalWriter implements AutoCloseable {
  private final StoreDirectory dir;
  private final JournalChannels channels;
  private final CRC32C crc = new CRC32C();
  private ByteBuffer batch = ByteBuffer.allocateDirect(1 << 20);
  private FileChannel channel;
  private Path segment;
  private long segmentFirstSequence;
  /** Everything before this offset of the current segment has been forced to disk. */
  private long durableEnd;

  public JournalWriter(StoreDirectory dir, JournalChannels channels) {
    this.dir = dir;
    this.channels = channels;
  }

  /** Continues appending to an existing segment whose valid data ends at {@code end}. */
  public void openExisting(Path path, long firstSequence, long end) throws IOException {
    close();
    segmentFirstSequence = firstSequence;
    channel = channels.open(path, StandardOpenOption.WRITE);
    segment = path;
    durableEnd = end;
  }

  /** Starts a new segment whose first record will carry {@code firstSequence}; durable on return. */
  public void startSegment(long firstSequence) throws IOException {
    Path path = dir.segmentPath(firstSequence);
    FileChannel ch = channels.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      ByteBuffer header = ByteBuffer.allocate(JournalDescriptor.SEGMENT_HEADER_LENGTH)
          .putInt(JournalDescriptor.SEGMENT_MAGIC)
          .putInt(JournalDescriptor.SEGMENT_VERSION)
          .putLong(firstSequence)
          .flip();
      while (header.hasRemaining()) {
        ch.write(header);
      }
      ch.force(true);
      dir.syncDirectory();
    } catch (IOException e) {
      ch.close();
      java.nio.file.Files.deleteIfExists(path);
      throw e;
    }
    close();
    channel = ch;
    segment = path;
    segmentFirstSequence = firstSequence;
    durableEnd = JournalDescriptor.SEGMENT_HEADER_LENGTH;
  }

  public Path segment() {
    return segment;
  }

  /** The sequence the current segment's first record has or will have. */
  public long segmentFirstSequence() {
    return segmentFirstSequence;
  }

  public long durableEnd() {
    return durableEnd;
  }

  /** Starts encoding a new batch. */
  public void beginBatch() {
    batch.clear();
  }

  public int batchBytes() {
    return batch.position();
  }

  /** Adds one record to the batch; {@code payload} writes exactly {@code payloadLength} bytes. */
  public void add(long sequence, byte type, int payloadLength, Consumer<ByteBuffer> payload) {
    ensureRoom(RECORD_HEADER_LENGTH + payloadLength);
    int start = batch.position();
    batch.putInt(0).putInt(payloadLength).putLong(sequence).put(type);
    payload.accept(batch);
    int end = batch.position();
    if (end - start != RECORD_HEADER_LENGTH + payloadLength) {
      throw new IllegalStateException("payload wrote " + (end - start - RECORD_HEADER_LENGTH)
          + " bytes (expected: " + payloadLength + ")");
    }
    crc.reset();
    crc.update(batch.duplicate().position(start + CRC_COVERAGE_OFFSET).limit(end));
    batch.putInt(start + CRC_OFFSET, (int) crc.getValue());
    assert batch.getInt(start + LENGTH_OFFSET) == payloadLength;
  }

  /** Writes the batch after the durable end and forces it to disk. */
  public void writeAndSync() throws IOException {
    ByteBuffer out = batch.duplicate().flip();
    long pos = durableEnd;
    while (out.hasRemaining()) {
      pos += channel.write(out, pos);
    }
    channel.force(false);
    durableEnd = pos;
  }

  /**
   * Removes whatever a failed batch left after the durable end. Forcing the truncation is best
   * effort: while the disk is failing it may not succeed, and the next successful batch's sync
   * persists the shorter size anyway. Until then a crash may bring back records of the failed
   * batch: changes whose futures failed may turn out stored, never the reverse.
   */
  public void rollback() throws IOException {
    channel.truncate(durableEnd);
    try {
      channel.force(false);
    } catch (IOException stillFailing) {
      // see above
    }
  }

  private void ensureRoom(int bytes) {
    if (batch.remaining() < bytes) {
      int capacity = Math.max(batch.capacity() * 2, batch.position() + bytes);
      ByteBuffer bigger = ByteBuffer.allocateDirect(capacity);
      bigger.put(batch.flip());
      batch = bigger;
    }
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }
}
