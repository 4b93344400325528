package dev.lifeline.testing;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses one {@link ChaosSpec} string. Every error names the whole spec, the offending part and
 * the expected form, because the spec usually arrives from a command line where the user cannot
 * see which of several options was refused.
 */
final class ChaosSpecParser {

  private static final Pattern SIZE = Pattern.compile("([0-9]+)([A-Za-z]*)");

  private final String spec;
  private Long minBytes;
  private Long maxBytes;
  private ChaosSpec.Mode mode;
  private Long count;

  ChaosSpecParser(String spec) {
    this.spec = spec;
  }

  ChaosSpec parse() {
    if (spec.isBlank()) {
      throw error("empty");
    }
    for (String option : spec.split(",", -1)) {
      parseOption(option.trim());
    }
    if (minBytes == null) {
      throw error("missing cut=MIN..MAX");
    }
    if (minBytes > maxBytes) {
      throw error("MIN greater than MAX");
    }
    if (maxBytes == 0) {
      throw error("MAX is 0, nothing would ever pass");
    }
    return ChaosSpec.of(
        minBytes,
        maxBytes,
        mode == null ? ChaosSpec.Mode.RST : mode,
        count == null ? ChaosSpec.UNLIMITED : count);
  }

  private void parseOption(String option) {
    if (option.isEmpty()) {
      throw error("empty option (stray comma?)");
    }
    final int eq = option.indexOf('=');
    if (eq < 0) {
      throw error("\"" + option + "\" is not key=value");
    }
    final String key = option.substring(0, eq).trim().toLowerCase(Locale.ROOT);
    final String value = option.substring(eq + 1).trim();
    switch (key) {
      case "cut" -> {
        checkFirst(minBytes, key);
        parseRange(value);
      }
      case "mode" -> {
        checkFirst(mode, key);
        mode = parseMode(value);
      }
      case "count" -> {
        checkFirst(count, key);
        count = parseCount(value);
      }
      default -> throw error("unknown key \"" + option.substring(0, eq).trim() + "\"");
    }
  }

  private void checkFirst(Object previous, String key) {
    if (previous != null) {
      throw error("duplicate key \"" + key + "\"");
    }
  }

  private void parseRange(String value) {
    final String[] bounds = value.split("\\.\\.", -1);
    if (bounds.length > 2) {
      throw error("\"" + value + "\" is not MIN..MAX");
    }
    minBytes = parseSize(bounds[0].trim());
    maxBytes = bounds.length == 2 ? parseSize(bounds[1].trim()) : minBytes;
  }

  /** A whole number with an optional binary unit; fractions are refused so sizes stay exact. */
  private long parseSize(String size) {
    if (size.isEmpty()) {
      throw error("empty size in cut=");
    }
    if (size.startsWith("-")) {
      throw error("size \"" + size + "\" is negative");
    }
    final Matcher m = SIZE.matcher(size);
    if (!m.matches()) {
      throw error(
          "size \"" + size + "\" is not a whole number with an optional unit K, M, G, T"
              + " (or KiB, MiB, GiB, TiB)");
    }
    final int shift = unitShift(m.group(2), size);
    final long number = parseNumber(m.group(1), "size \"" + size + "\"");
    if (number > Long.MAX_VALUE >> shift) {
      throw error("size \"" + size + "\" is too large (expected: at most " + Long.MAX_VALUE
          + " bytes)");
    }
    return number << shift;
  }

  private int unitShift(String unit, String size) {
    return switch (unit.toLowerCase(Locale.ROOT)) {
      case "", "b" -> 0;
      case "k", "kib" -> 10;
      case "m", "mib" -> 20;
      case "g", "gib" -> 30;
      case "t", "tib" -> 40;
      default -> throw error(
          "unknown unit \"" + unit + "\" in size \"" + size
              + "\" (units are binary: K, M, G, T or KiB, MiB, GiB, TiB)");
    };
  }

  private ChaosSpec.Mode parseMode(String value) {
    for (ChaosSpec.Mode candidate : ChaosSpec.Mode.values()) {
      if (candidate.specName().equalsIgnoreCase(value)) {
        return candidate;
      }
    }
    throw error("unknown mode \"" + value + "\"");
  }

  private long parseCount(String value) {
    if (value.startsWith("-")) {
      throw error("count \"" + value + "\" is negative");
    }
    if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw error("count \"" + value + "\" is not a whole number");
    }
    final long n = parseNumber(value, "count \"" + value + "\"");
    if (n == 0) {
      throw error("count is 0, nothing would ever be cut (expected: N >= 1)");
    }
    return n;
  }

  private long parseNumber(String digits, String what) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      // Only reachable by overflow: the callers have already checked for digits only.
      throw error(what + " is too large (expected: at most " + Long.MAX_VALUE + ")");
    }
  }

  private IllegalArgumentException error(String problem) {
    return new IllegalArgumentException(
        "chaos: \"" + spec + "\": " + problem + " (expected: " + ChaosSpec.EXPECTED + ")");
  }
}
