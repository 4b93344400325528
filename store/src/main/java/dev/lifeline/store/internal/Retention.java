package dev.lifeline.store.internal;

import dev.lifeline.store.internal.StoreDirectory.SequencedFile;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes files a newer durable snapshot made unnecessary, keeping one fallback: the two newest
 * snapshots stay (MapDB or flat alike), and so does every journal segment holding a record after
 * the older of them. If the newest snapshot is ever found damaged, recovery starts from the older
 * one and replays the journal from there.
 */
final class Retention {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);

  private Retention() {}

  static void deleteObsolete(StoreDirectory dir) throws IOException {
    List<SequencedFile> snapshots = dir.snapshots(); // newest first, MapDB and flat alike
    // the fallback is the second newest sequence (two files of one sequence count once)
    long newest = snapshots.isEmpty() ? -1 : snapshots.get(0).sequence();
    int fallbackIndex = -1;
    for (int i = 1; i < snapshots.size() && fallbackIndex < 0; i++) {
      fallbackIndex = snapshots.get(i).sequence() != newest ? i : -1;
    }
    if (fallbackIndex < 0) {
      return; // the fallback is the empty store plus the whole journal
    }
    long fallback = snapshots.get(fallbackIndex).sequence();
    boolean deleted = false;
    for (SequencedFile old : snapshots.subList(fallbackIndex + 1, snapshots.size())) {
      if (old.sequence() < fallback) {
        deleted |= Files.deleteIfExists(old.path());
      }
    }
    List<SequencedFile> segments = dir.segments();
    for (int i = 0; i + 1 < segments.size(); i++) {
      if (segments.get(i + 1).sequence() <= fallback + 1) {
        deleted |= Files.deleteIfExists(segments.get(i).path());
        log.debug("deleted journal segment {}", segments.get(i).path());
      }
    }
    if (deleted) {
      dir.syncDirectory();
    }
  }
}
