package dev.lifeline.transfer.internal;

import dev.lifeline.transfer.FileOutcome;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TreeListener;
import dev.lifeline.transfer.TreeResult;
import dev.lifeline.transfer.internal.TreeReceiveFiles.Part;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a tree download knows of its set: where each name goes under the target directory, which
 * files are still missing, and the outcome of each one, reported to the listener as it happens.
 * Confined to the session's application thread (the result is read after the set finished).
 */
final class TreeDownloadSet {
  private final String prefix;
  private final Path dir;
  private final TreeListener listener;
  private final List<FileOutcome> outcomes = new ArrayList<>();
  /** Names still to fetch, in the listing's order. */
  private final Set<String> missing = new TreeSet<>();
  /**
   * Names with an outcome already: a re-run finishes the file its checkpoint names before the
   * listing arrives, and the listing then finds it in place; it is reported once.
   */
  private final Set<String> reported = new java.util.HashSet<>();
  /** Names verified and waiting in the batch to be moved into place (not missing any more). */
  private final Set<String> arrived = new java.util.HashSet<>();
  private boolean listed;
  private int files;
  private long bytes;
  private int skipped;
  private int failed;
  private int filesDone;
  private long bytesDone;

  TreeDownloadSet(String prefix, Path dir, TreeListener listener) {
    this.prefix = prefix;
    this.dir = dir;
    this.listener = listener;
  }

  /**
   * Takes the listing: creates the directory and the empty directories, and skips every file
   * already in place with the same size and SHA-256; the rest is missing.
   */
  void plan(List<TreeListing.Entry> entries) throws IOException {
    Files.createDirectories(dir);
    long skippedBytes = 0;
    for (TreeListing.Entry e : entries) {
      if (e.directory()) {
        Files.createDirectories(e.name().equals(prefix) ? dir : target(e.name()));
        continue;
      }
      files++;
      bytes += e.size();
      if (reported.contains(e.name()) || arrived.contains(e.name())) {
        continue; // finished (verified, maybe not yet in place) before the listing came
      }
      if (Hashing.isFile(target(e.name()), e.size(), e.sha())) {
        skipped++;
        skippedBytes += e.size();
        filesDone++;
        bytesDone += e.size();
        report(new FileOutcome(e.name(), e.size(), Hashing.hex(e.sha()),
            FileOutcome.Status.SKIPPED, null));
      } else {
        missing.add(e.name());
      }
    }
    listed = true;
    listener.started(files, bytes, skipped, skippedBytes);
  }

  boolean listed() {
    return listed;
  }

  /** Whether {@code name} is still to be fetched (false before the listing). */
  boolean isMissing(String name) {
    return missing.contains(name);
  }

  /** Whether the set is listed and nothing is missing. */
  boolean complete() {
    return listed && missing.isEmpty();
  }

  /** The missing names in order; {@code first} (if missing) first. */
  List<String> missingNames(String first) {
    List<String> names = new ArrayList<>();
    if (first != null && missing.contains(first)) {
      names.add(first);
    }
    for (String n : missing) {
      if (!n.equals(first)) {
        names.add(n);
      }
    }
    return names;
  }

  /** {@code name} arrived verified; it is in place once the batch is flushed. */
  void arrived(String name) {
    missing.remove(name);
    arrived.add(name);
  }

  /** Files renamed into place by a flush. */
  void inPlace(List<Part> moved) {
    for (Part p : moved) {
      arrived.remove(p.name);
      filesDone++;
      bytesDone += p.size;
      report(new FileOutcome(p.name, p.size, Hashing.hex(p.sha), FileOutcome.Status.TRANSFERRED,
          null));
    }
  }

  /** {@code name} failed; the set goes on. Returns false if it was not missing. */
  boolean failed(String name, long size, String error) {
    if (!missing.remove(name)) {
      return false;
    }
    failed++;
    report(new FileOutcome(name, size, "", FileOutcome.Status.FAILED, error));
    return true;
  }

  /** Every missing file failed for {@code error}. */
  void failAll(String error) {
    for (String name : new ArrayList<>(missing)) {
      failed(name, 0, error);
    }
  }

  int missingCount() {
    return missing.size();
  }

  /** Done files and bytes, for progress; {@code extra} bytes of the file in progress. */
  void progress(long extra) {
    listener.progress(filesDone, bytesDone + extra);
  }

  private void report(FileOutcome o) {
    reported.add(o.name());
    outcomes.add(o);
    listener.fileFinished(o);
    listener.progress(filesDone, bytesDone);
  }

  TreeResult result(double seconds, dev.lifeline.SessionStats s) {
    return new TreeResult(prefix, files, bytes, seconds, s.reconnects(), s.tlsFull(),
        s.tlsResumed(), s.resentBytes(), skipped, failed, outcomes);
  }

  /** Whether {@code name} is a tree name under the prefix. */
  boolean validName(String name) {
    return FileNames.treeProblem(name) == null && (prefix.isEmpty() || name.equals(prefix)
        || name.startsWith(prefix + "/"));
  }

  /** Where {@code name} ({@code PREFIX/a/b}) goes: {@code dir/a/b}, checked component-wise. */
  Path target(String name) throws TransferException {
    String rel;
    if (prefix.isEmpty()) {
      rel = name;
    } else if (name.equals(prefix)) {
      rel = prefix.substring(prefix.lastIndexOf('/') + 1);
    } else {
      rel = name.substring(prefix.length() + 1);
    }
    return FileNames.resolveTree(dir, rel);
  }
}
