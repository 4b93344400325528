package dev.lifeline.store.internal;

import dev.lifeline.store.internal.StoreDirectory.SequencedFile;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes files a newer durable snapshot made unnecessary, keeping one fallback: the two newest
 * snapshots stay, and so does every journal segment holding a record after the older of them. If
 * the newest snapshot is ever found damaged, recovery starts from the older one and replays the
 * journal from there.
 */
final class Retention {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);
  static final int SNAPSHOTS_KEPT = 2;

  private Retention() {}

  static void deleteObsolete(StoreDirectory dir) throws IOException {
    List<SequencedFile> snapshots = dir.snapshots();
    if (snapshots.size() < SNAPSHOTS_KEPT) {
      return; // the fallback is the empty store plus the whole journal
    }
    long fallback = snapshots.get(SNAPSHOTS_KEPT - 1).sequence();
    boolean deleted = false;
    for (SequencedFile old : snapshots.subList(SNAPSHOTS_KEPT, snapshots.size())) {
      deleted |= Files.deleteIfExists(old.path());
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
