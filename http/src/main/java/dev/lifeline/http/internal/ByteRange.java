package dev.lifeline.http.internal;

/**
 * One byte range of a {@code Range: bytes=...} header (RFC 9110 §14.1.2), resolved against the
 * representation's length.
 *
 * @param first the first byte served
 * @param last the last byte served (inclusive)
 */
record ByteRange(long first, long last) {

  /** What a Range header asks for, once read against a length. */
  sealed interface Outcome permits Whole, Partial, Unsatisfiable {}

  /** Serve the whole representation with 200: no header, another unit, a syntax error, or several ranges. */
  record Whole() implements Outcome {}

  /** Serve {@code range} with 206. */
  record Partial(ByteRange range) implements Outcome {}

  /** No byte of the range exists: answer 416. */
  record Unsatisfiable() implements Outcome {}

  long length() {
    return last - first + 1;
  }

  /**
   * Reads {@code header} (may be null) against a representation of {@code size} bytes. Several
   * ranges are answered with the whole representation, which RFC 9110 allows and every client
   * handles; so is any header this parser does not understand.
   */
  static Outcome parse(String header, long size) {
    if (header == null) {
      return new Whole();
    }
    String h = header.trim();
    if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
      return new Whole();
    }
    String spec = h.substring(6).trim();
    if (spec.indexOf(',') >= 0) {
      return new Whole();
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return new Whole();
    }
    String a = spec.substring(0, dash).trim();
    String b = spec.substring(dash + 1).trim();
    try {
      if (a.isEmpty()) {
        long suffix = digits(b);
        if (suffix == 0 || size == 0) {
          return new Unsatisfiable();
        }
        return new Partial(new ByteRange(Math.max(0, size - suffix), size - 1));
      }
      long first = digits(a);
      long last = b.isEmpty() ? Long.MAX_VALUE : digits(b);
      if (last < first) {
        return new Whole();
      }
      if (first >= size) {
        return new Unsatisfiable();
      }
      return new Partial(new ByteRange(first, Math.min(last, size - 1)));
    } catch (NumberFormatException e) {
      return new Whole();
    }
  }

  private static long digits(String s) {
    if (s.isEmpty() || s.length() > 18) {
      throw new NumberFormatException(s);
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        throw new NumberFormatException(s);
      }
    }
    return Long.parseLong(s);
  }
}
