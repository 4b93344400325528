package dev.lifeline.store.internal;

import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreCorruptedException;
import dev.lifeline.store.internal.StoreDirectory.SequencedFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the live records when a store opens: the newest snapshot (MapDB or flat) that verifies
 * and that the journal continues, then every journal record after it.
 *
 * <p>A snapshot that fails verification is renamed to {@code *.damaged} and the next older base
 * is tried (an older snapshot, or the empty store if the journal still starts at sequence 1); the
 * store keeps journal segments back to the older of its two newest snapshots so this fallback
 * exists. When no base is left the open fails with a {@link StoreCorruptedException} naming the
 * damaged snapshot.
 */
public final class Recovery {
  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  /** The recovered state and where the writer continues. */
  public record Result(Map<String, SessionRecord> records, long nextSequence,
      Path appendSegment, long appendSegmentFirst, long appendOffset, long snapshotSequence,
      long replayed, long replayedBytes) {}

  private Recovery() {}

  public static Result recover(StoreDirectory dir) throws IOException {
    dir.deleteTemporaryFiles();
    List<SequencedFile> segments = dir.segments();
    long journalStart = segments.isEmpty() ? Long.MAX_VALUE : segments.get(0).sequence();
    SnapshotContents base = chooseBase(dir, journalStart);
    Map<String, SessionRecord> records = new HashMap<>(base.records());
    long after = base.lastSequence();
    long next = after + 1;
    Path appendSegment = null;
    long appendSegmentFirst = 0;
    long appendOffset = 0;
    long replayed = 0;
    long replayedBytes = 0;
    boolean readAny = false;
    for (int i = 0; i < segments.size(); i++) {
      SequencedFile seg = segments.get(i);
      boolean last = i == segments.size() - 1;
      if (!last && segments.get(i + 1).sequence() <= after + 1) {
        continue; // every record in it is already in the base
      }
      if (readAny ? seg.sequence() != next : seg.sequence() > next) {
        throw new StoreCorruptedException(seg.path(), "journal gap: segment starts at sequence "
            + seg.sequence() + " (expected: " + (readAny ? "" : "<= ") + next + ")");
      }
      readAny = true;
      Replayer replayer = new Replayer(seg.path(), records, after);
      JournalReader.Segment read = JournalReader.read(seg.path(), seg.sequence(), last, replayer);
      replayed += replayer.applied;
      replayedBytes += replayer.bytes;
      next = Math.max(next, read.lastSequence() + 1);
      if (last && !read.removed() && read.lastSequence() + 1 == next) {
        appendSegment = seg.path();
        appendSegmentFirst = seg.sequence();
        appendOffset = read.end();
      }
    }
    log.info("opened store {}: {} records from snapshot at sequence {} plus {} journal records",
        dir.path(), records.size(), after, replayed);
    return new Result(records, next, appendSegment, appendSegmentFirst, appendOffset, after,
        replayed, replayedBytes);
  }

  private static SnapshotContents chooseBase(StoreDirectory dir, long journalStart)
      throws IOException {
    StoreCorruptedException firstDamage = null;
    List<Path> damaged = new ArrayList<>();
    for (SequencedFile snap : dir.snapshots()) {
      if (journalStart != Long.MAX_VALUE && journalStart > snap.sequence() + 1) {
        break; // the journal no longer reaches back to this or any older snapshot
      }
      try {
        SnapshotContents contents = Snapshots.read(snap);
        setAside(damaged);
        return contents;
      } catch (StoreCorruptedException e) {
        log.warn("snapshot {} cannot be trusted, trying an older base: {}", snap.path(),
            e.getMessage());
        firstDamage = firstDamage == null ? e : firstDamage;
        damaged.add(snap.path());
      }
    }
    if (journalStart == Long.MAX_VALUE ? firstDamage == null : journalStart == 1) {
      setAside(damaged);
      return new SnapshotContents(0, Map.of());
    }
    if (firstDamage != null) {
      throw firstDamage;
    }
    throw new StoreCorruptedException(dir.path(), "journal starts at sequence " + journalStart
        + " but no snapshot covers the records before it");
  }

  /** Keeps damaged snapshots for inspection but out of the way of the next open. */
  private static void setAside(List<Path> damaged) throws IOException {
    for (Path p : damaged) {
      Path aside = p.resolveSibling(p.getFileName() + ".damaged");
      Files.move(p, aside, StandardCopyOption.REPLACE_EXISTING);
      log.warn("moved damaged snapshot aside to {}; recovered from an older base and the journal",
          aside);
    }
  }

  /** Applies journal records after the base to the records being rebuilt. */
  private static final class Replayer implements JournalReader.Visitor {
    private final Path file;
    private final Map<String, SessionRecord> records;
    private final long after;
    long applied;
    long bytes;

    Replayer(Path file, Map<String, SessionRecord> records, long after) {
      this.file = file;
      this.records = records;
      this.after = after;
    }

    @Override
    public void record(long sequence, byte type, ByteBuffer payload, long offset)
        throws StoreCorruptedException {
      if (sequence <= after) {
        return;
      }
      try {
        bytes += JournalDescriptor.RECORD_HEADER_LENGTH + payload.remaining();
        apply(type, payload);
        applied++;
      } catch (StoreCorruptedException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new StoreCorruptedException(file, "undecodable record (sequence " + sequence
            + ") at offset " + offset + ": " + e.getMessage(), e);
      }
    }

    private void apply(byte type, ByteBuffer payload) throws StoreCorruptedException {
      switch (type) {
        case JournalDescriptor.TYPE_PUT -> {
          SessionRecord r = RecordCodec.readPut(payload);
          records.put(r.id(), r);
        }
        case JournalDescriptor.TYPE_COMMIT -> {
          RecordCodec.CommitPayload c = RecordCodec.readCommit(payload);
          SessionRecord current = records.get(c.id());
          if (current == null) {
            throw new StoreCorruptedException(file, "commit for unknown session " + c.id());
          }
          records.put(c.id(), current.withCheckpoint(c.checkpoint(), c.lastActiveMillis()));
        }
        case JournalDescriptor.TYPE_DELETE -> records.remove(RecordCodec.readDelete(payload));
        default -> throw new IllegalArgumentException("record type " + type);
      }
    }
  }
}
