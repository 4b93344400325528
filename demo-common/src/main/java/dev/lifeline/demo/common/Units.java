package dev.lifeline.demo.common;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations and sizes people type on a command line: {@code 500ms}, {@code 2s},
 * {@code 1m}, {@code 24h}; {@code 8M}, {@code 10G}. Sizes are binary (1K = 1024), like the
 * {@code --chaos} spec, so one size means the same thing in every option.
 *
 * <pre>{@code
 * Duration idle = Units.parseDuration("2s");
 * long max = Units.parseSize("10G");
 * }</pre>
 */
public final class Units {
  /** The form every duration error ends with. */
  public static final String DURATION_FORM =
      "a positive number with a unit ms, s, m, h or d, e.g. 500ms, 2s, 1m, 24h";
  /** The form every size error ends with. */
  public static final String SIZE_FORM =
      "a number of bytes, optionally with a unit K, M, G or T (binary), e.g. 8M, 10G";

  private static final Pattern DURATION = Pattern.compile("([0-9]{1,12})(ms|s|m|h|d)");
  private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})(|b|k|kib|m|mib|g|gib|t|tib)");

  private Units() {}

  /**
   * Parses {@code 500ms}, {@code 2s}, {@code 1m}, {@code 24h}, {@code 7d}, or an ISO-8601
   * duration such as {@code PT2S}.
   *
   * @throws IllegalArgumentException naming the value and the expected form; also for zero and
   *     negative durations, which no option of the demos accepts
   */
  public static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    Duration d;
    Matcher m = DURATION.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    } else if (t.startsWith("p")) {
      try {
        d = Duration.parse(text.trim());
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(durationError(text));
      }
    } else {
      throw new IllegalArgumentException(durationError(text));
    }
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(durationError(text));
    }
    return d;
  }

  /**
   * Parses a byte count with an optional binary unit: {@code 4096}, {@code 8M}, {@code 10G},
   * {@code 1GiB}.
   *
   * @throws IllegalArgumentException naming the value and the expected form, also on overflow
   */
  public static long parseSize(String text) {
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(sizeError(text));
    }
    int shift = switch (m.group(2)) {
      case "", "b" -> 0;
      case "k", "kib" -> 10;
      case "m", "mib" -> 20;
      case "g", "gib" -> 30;
      default -> 40;
    };
    try {
      long n = Long.parseLong(m.group(1));
      if (n > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is too large (expected: " + SIZE_FORM + ")");
    }
  }

  /** {@code 268435456} as {@code "256.0 MiB"}: for summaries people read. */
  public static String formatBytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
  }

  /** {@code PT24H} as {@code "24h"}, {@code PT0.5S} as {@code "0.5s"}: for log lines. */
  public static String formatDuration(Duration d) {
    return d.toString().substring(2).toLowerCase(Locale.ROOT);
  }

  private static String durationError(String text) {
    return "'" + text + "' is not a duration (expected: " + DURATION_FORM + ")";
  }

  private static String sizeError(String text) {
    return "'" + text + "' is not a size (expected: " + SIZE_FORM + ")";
  }
}
