package dev.lifeline.demo.client;

import dev.lifeline.transfer.TransferListener;
import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows a transfer's progress: a bar with bytes, rate, ETA and reconnects when a person is
 * watching a terminal, nothing when output goes to a file or a script; in both cases a restart
 * from zero is reported on stderr with its reason, because it is the one event a user must not
 * miss. Callbacks come from the transfer's threads, hence the synchronization.
 */
final class ProgressReporter implements TransferListener, AutoCloseable {
  private final PrintStream err;
  private final boolean showBar;
  private final String verb;
  /** Guarded by this; null until the transfer started, or without a terminal. */
  private ProgressBar bar;
  /** Guarded by this. */
  private long reconnects;

  /**
   * @param showBar whether to draw a bar: only on an interactive terminal
   * @param verb "upload" or "download", the bar's label
   */
  ProgressReporter(PrintStream err, boolean showBar, String verb) {
    this.err = err;
    this.showBar = showBar;
    this.verb = verb;
  }

  /** Whether this process talks to a person: stdin and stdout are both a terminal. */
  static boolean onTerminal() {
    return System.console() != null;
  }

  @Override
  public synchronized void started(String name, long total, long offset) {
    if (!showBar) {
      return;
    }
    if (bar != null) {
      bar.close(); // started again after a restart: a fresh bar with a fresh rate and ETA
    }
    // The bytes done by a previous process do not count toward this one's rate and ETA.
    bar = newBar(verb + " " + shorten(name), total, offset);
    bar.setExtraMessage(extraMessage());
  }

  /**
   * A bar of {@code total} bytes in MiB with its rate, whose rate and ETA count only what is
   * done after {@code from} (what a previous process did, or what is already at the
   * destination).
   */
  static ProgressBar newBar(String task, long total, long from) {
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total)
        .setUnit(" MiB", 1L << 20)
        .showSpeed()
        .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
        .setUpdateIntervalMillis(200)
        .startsFrom(from, Duration.ZERO)
        .build();
  }

  @Override
  public synchronized void progress(long done) {
    if (bar != null) {
      bar.stepTo(done);
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
  public synchronized void restarted(String reason) {
    err.println((bar != null ? System.lineSeparator() : "")
        + "client-demo: " + verb + " starts over from the beginning: " + reason);
  }

  @Override
  public synchronized void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }

  private String extraMessage() {
    // The renderer puts it right after the rate, without a separator.
    return reconnects == 1 ? ", 1 reconnect" : ", " + reconnects + " reconnects";
  }

  private static String shorten(String name) {
    return name.length() <= 24 ? name : name.substring(0, 21) + "...";
  }
}
