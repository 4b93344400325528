package dev.lifeline.store.internal;

import static dev.lifeline.store.internal.OutboxDescriptor.RECORD_HEADER_LENGTH;
import static dev.lifeline.store.internal.OutboxDescriptor.SEGMENT_HEADER_LENGTH;
import static dev.lifeline.store.internal.OutboxDescriptor.TYPE_MESSAGE;

import dev.lifeline.store.Outbox;
import dev.lifeline.store.StoreCorruptedException;
import dev.lifeline.store.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The segment files of one outbox: appending batches (write, then {@code force}), rolling to a
 * new segment, deleting segments whose messages are all trimmed or reset away, and reading the
 * held messages back. Not thread-safe: its {@link FileOutbox} calls it under one lock.
 */
final class OutboxLog implements AutoCloseable {
  /** One segment file and what its records end with. */
  static final class Segment {
    final long number;
    final Path path;
    /** The last seq before the segment's first record (from its header). */
    final long startLastSeq;
    /** The last seq after its last durable record. */
    long endLastSeq;
    /** The end of its durable records. */
    long end;

    Segment(long number, Path path, long startLastSeq) {
      this.number = number;
      this.path = path;
      this.startLastSeq = startLastSeq;
      this.endLastSeq = startLastSeq;
      this.end = SEGMENT_HEADER_LENGTH;
    }
  }

  private final Path dir;
  private final JournalChannels channels;
  /** Oldest first; the last is the one appended to. */
  private final List<Segment> segments;
  private FileChannel active;
  /** Where the messages of the current numbering start: after the last durable RESET. */
  private Segment liveSegment;
  private long liveOffset;

  OutboxLog(Path dir, JournalChannels channels, List<Segment> segments, Segment liveSegment,
      long liveOffset) throws IOException {
    this.dir = dir;
    this.channels = channels;
    this.segments = new ArrayList<>(segments);
    this.liveSegment = liveSegment;
    this.liveOffset = liveOffset;
    if (this.segments.isEmpty()) {
      startSegment(1, 0);
      this.liveSegment = this.segments.get(0);
      this.liveOffset = SEGMENT_HEADER_LENGTH;
    } else {
      active = channels.open(activeSegment().path, StandardOpenOption.WRITE);
    }
  }

  static Path segmentPath(Path dir, long number) {
    return dir.resolve(String.format("segment-%020d.log", number));
  }

  /** The file being appended to. */
  Path activePath() {
    return activeSegment().path;
  }

  int segmentCount() {
    return segments.size();
  }

  private Segment activeSegment() {
    return segments.get(segments.size() - 1);
  }

  /**
   * Writes {@code batch} after the last durable byte and forces it; the outbox's last seq is then
   * {@code endLastSeq}. {@code resetEnd} is the offset in the batch just after its last RESET
   * record, or -1. On failure nothing moved: call {@link #rollback}.
   */
  void append(ByteBuffer batch, long endLastSeq, int resetEnd) throws IOException {
    Segment seg = activeSegment();
    if (seg.end > SEGMENT_HEADER_LENGTH
        && seg.end + batch.remaining() > OutboxDescriptor.SEGMENT_ROLL_BYTES) {
      startSegment(seg.number + 1, seg.endLastSeq);
      seg = activeSegment();
    }
    long start = seg.end;
    long pos = start;
    while (batch.hasRemaining()) {
      pos += active.write(batch, pos);
    }
    active.force(false);
    seg.end = pos;
    seg.endLastSeq = endLastSeq;
    if (resetEnd >= 0) {
      liveSegment = seg;
      liveOffset = start + resetEnd;
    }
  }

  /**
   * Cuts what a failed batch left after the last durable byte, so it is never read back. Forcing
   * the cut is best effort: on a full disk it may fail, and then a crash may bring back records of
   * the failed batch (intact ones only; a torn one is cut on open): messages whose futures failed
   * may turn out stored, never the reverse.
   */
  void rollback() throws IOException {
    active.truncate(activeSegment().end);
    try {
      active.force(false);
    } catch (IOException stillFailing) {
      // see above
    }
  }

  /**
   * Deletes the oldest segments while every message in them is trimmed ({@code firstSeq} is past
   * them) or was dropped by a durable reset. The current segment always stays.
   */
  void deleteDeadSegments(long firstSeq) throws IOException {
    boolean deleted = false;
    while (segments.size() > 1) {
      Segment oldest = segments.get(0);
      boolean beforeReset = oldest.number < liveSegment.number;
      if (!beforeReset && oldest.endLastSeq >= firstSeq) {
        break;
      }
      Files.delete(oldest.path);
      segments.remove(0);
      deleted = true;
      if (oldest == liveSegment) {
        liveSegment = segments.get(0);
        liveOffset = SEGMENT_HEADER_LENGTH;
      }
    }
    if (deleted) {
      // deletions must reach the disk oldest first: a gap in the numbering reads as corruption
      FileOutboxes.syncDirectory(dir);
    }
  }

  /** Calls {@code reader} for every durable message numbered {@code first..last}, in order. */
  void read(long first, long last, Outbox.Reader reader) throws IOException {
    if (first > last) {
      return;
    }
    for (int i = segments.indexOf(liveSegment); i < segments.size(); i++) {
      Segment seg = segments.get(i);
      if (seg.endLastSeq < first) {
        continue;
      }
      long from = seg == liveSegment ? liveOffset : SEGMENT_HEADER_LENGTH;
      if (!readSegment(seg, from, first, last, reader)) {
        return;
      }
    }
  }

  /** Returns false once past {@code last}. */
  private static boolean readSegment(Segment seg, long from, long first, long last,
      Outbox.Reader reader) throws IOException {
    try (OutboxSegmentReader in = new OutboxSegmentReader(seg.path, seg.end)) {
      long pos = from;
      while (pos < in.end()) {
        int length = in.intactAt(pos);
        if (length < 0) {
          throw new StoreCorruptedException(seg.path, "damaged record at offset " + pos
              + " in data that was durable");
        }
        if (in.type() == TYPE_MESSAGE) {
          long seq = in.seq();
          if (seq > last) {
            return false;
          }
          if (seq >= first) {
            reader.message(seq, in.payload());
          }
        }
        pos += RECORD_HEADER_LENGTH + length;
      }
    }
    return true;
  }

  /** Creates segment {@code number} with its header, durably, and makes it the active one. */
  private void startSegment(long number, long startLastSeq) throws IOException {
    Path path = segmentPath(dir, number);
    FileChannel ch = channels.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      ByteBuffer header = OutboxDescriptor.segmentHeader(number, startLastSeq);
      while (header.hasRemaining()) {
        ch.write(header, header.position());
      }
      ch.force(true);
      FileOutboxes.syncDirectory(dir);
    } catch (IOException e) {
      ch.close();
      Files.deleteIfExists(path);
      throw e;
    }
    if (active != null) {
      active.close();
    }
    active = ch;
    segments.add(new Segment(number, path, startLastSeq));
  }

  /** Closes the file and removes the directory with everything in it. */
  void deleteAll() throws StoreException {
    close();
    if (!Files.isDirectory(dir)) {
      return; // deleted before
    }
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
      Files.delete(dir);
      FileOutboxes.syncDirectory(dir.getParent());
    } catch (IOException e) {
      throw new StoreException("cannot delete outbox " + dir + ": " + e, e);
    }
  }

  @Override
  public void close() {
    if (active != null) {
      try {
        active.close();
      } catch (IOException ignored) {
        // nothing was pending: every batch was forced before
      }
      active = null;
    }
  }
}
