package dev.lifeline.store.internal;

import static dev.lifeline.store.internal.OutboxDescriptor.RECORD_HEADER_LENGTH;
import static dev.lifeline.store.internal.OutboxDescriptor.SEGMENT_HEADER_LENGTH;
import static dev.lifeline.store.internal.OutboxDescriptor.SEGMENT_START_OFFSET;
import static dev.lifeline.store.internal.OutboxDescriptor.TYPE_MESSAGE;
import static dev.lifeline.store.internal.OutboxDescriptor.TYPE_RESET;

import dev.lifeline.store.StoreCorruptedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds an outbox's state from its segments on open.
 *
 * <p>Each batch is forced before its futures complete and a new segment is created only after the
 * previous one's batches are durable, so only the end of the last segment can hold a partly
 * written batch: a bad record there with nothing intact after it is cut off (its future never
 * completed). A bad record anywhere else, a gap in the segment numbers, or a segment whose header
 * does not continue where the previous one ended, is corruption naming the file.
 */
final class OutboxRecovery {
  private static final Logger log = LoggerFactory.getLogger(OutboxRecovery.class);
  private static final Pattern SEGMENT = Pattern.compile("segment-(\\d{20})\\.log");

  /** The state the segments hold. */
  record Result(List<OutboxLog.Segment> segments, OutboxLog.Segment liveSegment,
      long liveOffset, long firstSeq, long lastSeq, MessageSizes sizes) {}

  private final List<OutboxLog.Segment> segments = new ArrayList<>();
  private final MessageSizes sizes = new MessageSizes();
  private OutboxLog.Segment liveSegment;
  private long liveOffset;
  private long firstSeq = 1;
  private long lastSeq;

  private OutboxRecovery() {}

  static Result recover(Path dir) throws IOException {
    OutboxRecovery r = new OutboxRecovery();
    List<Path> files = segmentFiles(dir);
    for (int i = 0; i < files.size(); i++) {
      r.readSegment(files.get(i), firstNumber(files) + i, i == files.size() - 1);
    }
    return new Result(r.segments, r.liveSegment, r.liveOffset, r.firstSeq, r.lastSeq, r.sizes);
  }

  private static long firstNumber(List<Path> files) {
    return number(files.get(0));
  }

  /** The segment files, oldest first; a gap in their numbers is corruption. */
  private static List<Path> segmentFiles(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "segment-*.log")) {
      for (Path p : stream) {
        if (SEGMENT.matcher(p.getFileName().toString()).matches()) {
          files.add(p);
        }
      }
    }
    files.sort(null);
    for (int i = 1; i < files.size(); i++) {
      if (number(files.get(i)) != number(files.get(i - 1)) + 1) {
        throw new StoreCorruptedException(files.get(i), "segment " + number(files.get(i - 1))
            + " is followed by " + number(files.get(i)) + " (expected: consecutive numbers)");
      }
    }
    return files;
  }

  private static long number(Path p) {
    Matcher m = SEGMENT.matcher(p.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a segment: " + p);
    }
    return Long.parseLong(m.group(1));
  }

  private void readSegment(Path path, long number, boolean last) throws IOException {
    try (OutboxSegmentReader in = new OutboxSegmentReader(path, -1)) {
      ByteBuffer header = in.header();
      if (header == null || !OutboxDescriptor.validSegmentHeader(header, number)) {
        if (last && in.end() <= SEGMENT_HEADER_LENGTH) {
          // its creation was interrupted before the header was forced: it never held a record
          log.warn("removing outbox segment {}: its creation was interrupted", path);
          Files.delete(path);
          FileOutboxes.syncDirectory(path.getParent());
          return;
        }
        throw new StoreCorruptedException(path, "bad segment header (expected: magic "
            + Integer.toHexString(OutboxDescriptor.SEGMENT_MAGIC) + ", version "
            + OutboxDescriptor.SEGMENT_VERSION + ", number " + number + ")");
      }
      long before = header.getLong(SEGMENT_START_OFFSET);
      OutboxLog.Segment seg = new OutboxLog.Segment(number, path, before);
      startSegment(seg, before);
      seg.end = readRecords(in, seg, last);
      seg.endLastSeq = lastSeq;
      segments.add(seg);
    }
  }

  private void startSegment(OutboxLog.Segment seg, long before) throws StoreCorruptedException {
    if (segments.isEmpty()) {
      // older segments were deleted only once every message in them was trimmed or reset away
      lastSeq = before;
      firstSeq = before + 1;
      liveSegment = seg;
      liveOffset = SEGMENT_HEADER_LENGTH;
    } else if (before != lastSeq) {
      throw new StoreCorruptedException(seg.path, "segment starts after seq " + before
          + " but the one before it ends at seq " + lastSeq);
    }
  }

  /** Applies the segment's records; returns where its intact records end. */
  private long readRecords(OutboxSegmentReader in, OutboxLog.Segment seg, boolean last)
      throws IOException {
    long pos = SEGMENT_HEADER_LENGTH;
    while (pos < in.end()) {
      int length = in.intactAt(pos);
      if (length < 0) {
        return damaged(in, pos, last, lastSeq + 1);
      }
      apply(in, seg, pos, pos + RECORD_HEADER_LENGTH + length);
      pos += RECORD_HEADER_LENGTH + length;
    }
    return pos;
  }

  private void apply(OutboxSegmentReader in, OutboxLog.Segment seg, long pos, long next)
      throws StoreCorruptedException {
    long seq = in.seq();
    byte type = in.type();
    if (type == TYPE_MESSAGE) {
      if (seq != lastSeq + 1) {
        throw new StoreCorruptedException(seg.path, "message seq " + seq + " at offset " + pos
            + " (expected: " + (lastSeq + 1) + ")");
      }
      lastSeq = seq;
      sizes.add(in.payload().remaining());
    } else if (type == TYPE_RESET) {
      sizes.clear();
      lastSeq = seq - 1;
      firstSeq = seq;
      liveSegment = seg;
      liveOffset = next;
    } else {
      if (seq > lastSeq) {
        throw new StoreCorruptedException(seg.path, "trim to seq " + seq + " at offset " + pos
            + " (expected: <= " + lastSeq + ")");
      }
      if (seq >= firstSeq) {
        sizes.removeFirst(seq + 1 - firstSeq);
        firstSeq = seq + 1;
      }
    }
  }

  private static long damaged(OutboxSegmentReader in, long pos, boolean last, long expectedSeq)
      throws IOException {
    if (!last) {
      throw new StoreCorruptedException(in.path(), "damaged record at offset " + pos + " of "
          + in.end() + " in a sealed segment");
    }
    long later = in.intactRecordAfter(pos, expectedSeq);
    if (later >= 0) {
      throw new StoreCorruptedException(in.path(), "damaged record at offset " + pos
          + " is followed by an intact record at offset " + later);
    }
    log.warn("truncating torn tail of outbox segment {} at offset {} ({} bytes of an "
        + "unacknowledged write dropped)", in.path(), pos, in.end() - pos);
    try (FileChannel ch = FileChannel.open(in.path(), StandardOpenOption.WRITE)) {
      ch.truncate(pos);
      ch.force(false);
    }
    return pos;
  }
}
