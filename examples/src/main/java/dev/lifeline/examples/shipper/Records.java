package dev.lifeline.examples.shipper;

import java.nio.charset.StandardCharsets;

/**
 * The shipper's records: record {@code n} is one line of exactly {@code bytes} bytes, newline
 * included, that begins with its number, then a space and filler that depends only on {@code n}
 * (so a check can compare every byte):
 *
 * <pre>
 * 17 qrstuvwxyzabcdefghij...\n
 * </pre>
 *
 * <p>Record {@code n} is sent as message {@code n} of the session: the position the library
 * reports ({@code Session.handedOver()}) is the last record handed over.
 */
public final class Records {
  /** The default {@code --record-bytes}: the issue's ~200-byte telemetry record. */
  public static final int DEFAULT_BYTES = 200;
  /** A record is one message; the library's default largest message is 1 MiB. */
  public static final int MAX_BYTES = 1 << 20;

  private Records() {}

  /** Record {@code n} of {@code bytes} bytes, newline included. */
  public static byte[] line(long n, int bytes) {
    byte[] number = Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    if (bytes < minBytes(n)) {
      throw new IllegalArgumentException("bytes: " + bytes + " (expected: >= " + minBytes(n)
          + " for record " + n + ")");
    }
    byte[] line = new byte[bytes];
    System.arraycopy(number, 0, line, 0, number.length);
    int i = number.length;
    if (i < bytes - 1) {
      line[i++] = ' ';
    }
    for (long f = n; i < bytes - 1; i++, f++) {
      line[i] = (byte) ('a' + Math.floorMod(f, 26));
    }
    line[bytes - 1] = '\n';
    return line;
  }

  /** The shortest line record {@code n} fits in: its digits and the newline. */
  public static int minBytes(long n) {
    return Long.toString(n).length() + 1;
  }
}
