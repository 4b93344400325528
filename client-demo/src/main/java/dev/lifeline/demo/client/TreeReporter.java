package dev.lifeline.demo.client;

import dev.lifeline.demo.common.Units;
import dev.lifeline.transfer.FileOutcome;
import dev.lifeline.transfer.TreeListener;
import dev.lifeline.transfer.TreeResult;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;

/**
 * Reports a tree upload or download as it runs and when it ends: with {@code --json} one line per
 * file on stdout as it finishes and the summary line last; without, a short summary for people.
 * Failed files and notices (symbolic links left out, files changed and sent again) go to stderr,
 * one line each, in both modes: a script reads stdout, a person reads stderr. On a terminal a bar
 * shows bytes, files done of the total, rate and reconnects.
 *
 * <p>Callbacks come from the transfer's threads, hence the synchronization; it also keeps the
 * per-file lines whole when two files finish at once.
 */
final class TreeReporter implements TreeListener, AutoCloseable {
  private final PrintStream out;
  private final PrintStream err;
  private final boolean json;
  private final boolean showBar;
  private final String verb;
  private final String prefix;
  /** Guarded by this; null until the set is known, or without a terminal. */
  private ProgressBar bar;
  /** Guarded by this. */
  private int files;
  /** Guarded by this. */
  private int filesDone;
  /** Guarded by this. */
  private long reconnects;

  /**
   * @param verb "upload" or "download"
   * @param prefix the tree's name on the server, for the bar and the messages
   */
  TreeReporter(PrintStream out, PrintStream err, boolean json, boolean showBar, String verb,
      String prefix) {
    this.out = out;
    this.err = err;
    this.json = json;
    this.showBar = showBar;
    this.verb = verb;
    this.prefix = prefix;
  }

  @Override
  public synchronized void started(int files, long bytes, int skippedFiles, long skippedBytes) {
    this.files = files;
    this.filesDone = skippedFiles;
    if (!showBar) {
      return;
    }
    if (bar != null) {
      bar.close(); // the set was planned again: a fresh bar with a fresh rate and ETA
    }
    // What is already at the destination does not count toward this run's rate and ETA.
    bar = ProgressReporter.newBar(verb + " " + shorten(prefix), bytes, skippedBytes);
    bar.setExtraMessage(extraMessage());
  }

  @Override
  public synchronized void progress(int filesDone, long bytesDone) {
    this.filesDone = filesDone;
    if (bar != null) {
      bar.stepTo(bytesDone);
      bar.setExtraMessage(extraMessage());
    }
  }

  @Override
  public synchronized void fileFinished(FileOutcome outcome) {
    if (json) {
      out.println(outcome.toJson());
      out.flush();
    }
    if (!outcome.ok()) {
      stderr(outcome.name() + " failed: " + outcome.error());
    }
  }

  @Override
  public synchronized void reconnected(long reconnects) {
    this.reconnects = reconnects;
    if (bar != null) {
      bar.setExtraMessage(extraMessage());
    }
  }

  @Override
  public synchronized void notice(String message) {
    stderr(message);
  }

  @Override
  public synchronized void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }

  /**
   * Prints the set's summary (the last line on stdout) and, when files failed, one line on stderr
   * saying how many; returns the exit code: 0 only when every file arrived verified.
   */
  synchronized int finish(TreeResult r) {
    close();
    out.println(json ? r.toJson() : summary(verb, r));
    out.flush();
    if (r.ok()) {
      return ExitCodes.OK;
    }
    stderr(verb + " of " + r.prefix() + ": " + r.failed() + " of " + r.files()
        + " file(s) failed (the lines above say why), the others are verified; a re-run of the "
        + "same command sends only what is missing");
    return ExitCodes.SOME_FILES_FAILED;
  }

  /** The line a person reads when --json was not asked for. */
  static String summary(String verb, TreeResult r) {
    double mibPerSecond = r.seconds() > 0 ? r.bytes() / r.seconds() / (1 << 20) : 0;
    int sent = r.files() - r.skipped() - r.failed();
    return String.format(Locale.ROOT,
        "%sed tree %s: %d file(s), %s in %.1f s (%.1f MiB/s): %d sent and verified, %d already "
            + "there (skipped), %d failed; %d reconnect(s), TLS %d full / %d resumed, %s resent",
        verb, r.prefix(), r.files(), Units.formatBytes(r.bytes()), r.seconds(), mibPerSecond,
        sent, r.skipped(), r.failed(), r.reconnects(), r.tlsFull(), r.tlsResumed(),
        Units.formatBytes(r.resentBytes()));
  }

  private void stderr(String message) {
    // A bar is being drawn on this line: start a new one so the message stays whole.
    err.println((bar != null ? System.lineSeparator() : "") + "client-demo: " + message);
  }

  private String extraMessage() {
    // The renderer puts it right after the rate, without a separator, and cuts the line at the
    // terminal's width: files first, reconnects only once there are some.
    return ", " + filesDone + "/" + files + " files"
        + (reconnects == 0 ? "" : reconnects == 1 ? ", 1 reconnect" : ", " + reconnects
            + " reconnects");
  }

  private static String shorten(String name) {
    return name.length() <= 24 ? name : name.substring(0, 21) + "...";
  }
}
