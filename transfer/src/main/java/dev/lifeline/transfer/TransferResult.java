package dev.lifeline.transfer;

/**
 * What a finished upload or download did; the fields of the demo's {@code --json} summary.
 *
 * @param name the file's name on the server
 * @param bytes the file's size
 * @param sha256 lowercase hex SHA-256 of the whole file, verified end to end
 * @param seconds wall time of the transfer
 * @param reconnects connections lost and resumed during it
 * @param tlsFull full TLS handshakes
 * @param tlsResumed resumed TLS handshakes
 * @param resentBytes message bytes sent again after resumes
 * @param resumedFromOffset where this call continued a transfer after a process lost its part of
 *     it: the byte offset of the receiver's last durable checkpoint that a restarted server, or a
 *     re-run of the same transfer with the same client store, picked up from. Whichever side
 *     restarted, that is the server's checkpoint for an upload (a restarted server tells the
 *     client where it continues, even when the client only replays from memory) and this
 *     client's for a download. 0 when no process was lost (a cut connection is replayed from
 *     memory, nothing to continue from), or when the transfer began, or started over, at byte 0.
 *     After several restarts, the first continuation's offset.
 */
public record TransferResult(
    String name,
    long bytes,
    String sha256,
    double seconds,
    long reconnects,
    long tlsFull,
    long tlsResumed,
    long resentBytes,
    long resumedFromOffset) {

  /** One JSON object on one line, fields in the order above. */
  public String toJson() {
    return "{\"name\":" + quote(name) + ",\"bytes\":" + bytes + ",\"sha256\":\"" + sha256
        + "\",\"seconds\":" + secondsText(seconds)
        + ",\"reconnects\":" + reconnects + ",\"tlsFull\":" + tlsFull + ",\"tlsResumed\":"
        + tlsResumed + ",\"resentBytes\":" + resentBytes + ",\"resumedFromOffset\":"
        + resumedFromOffset + "}";
  }

  /**
   * {@code seconds} with three decimals, as {@code %.3f} would print it; without a Formatter,
   * whose first use costs a one-shot client tens of milliseconds.
   */
  static String secondsText(double seconds) {
    long ms = Math.round(seconds * 1000);
    String frac = Long.toString(Math.abs(ms % 1000));
    return (ms < 0 ? "-" : "") + Math.abs(ms / 1000) + "." + "000".substring(frac.length()) + frac;
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
