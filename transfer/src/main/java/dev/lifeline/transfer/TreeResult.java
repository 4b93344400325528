package dev.lifeline.transfer;

import java.util.List;

/**
 * What a tree upload or download did; the last line of the demo's {@code --json} output.
 *
 * @param prefix the tree's name on the server
 * @param files files in the tree (transferred, skipped and failed)
 * @param bytes bytes of all the tree's files
 * @param seconds wall time of the whole set
 * @param reconnects connections lost and resumed during it
 * @param tlsFull full TLS handshakes
 * @param tlsResumed resumed TLS handshakes
 * @param resentBytes message bytes sent again after resumes, and file bytes sent again because a
 *     file changed while it was being sent
 * @param skipped files already at the destination, verified by size and SHA-256, not sent
 * @param failed files that did not arrive verified; the set succeeded only when this is 0
 * @param outcomes one entry per file, in the order they finished
 */
public record TreeResult(
    String prefix,
    int files,
    long bytes,
    double seconds,
    long reconnects,
    long tlsFull,
    long tlsResumed,
    long resentBytes,
    int skipped,
    int failed,
    List<FileOutcome> outcomes) {

  public TreeResult {
    outcomes = List.copyOf(outcomes);
  }

  /** Whether every file of the tree is at the destination, verified end to end. */
  public boolean ok() {
    return failed == 0;
  }

  /** The summary as one JSON object on one line (without the per-file outcomes). */
  public String toJson() {
    return "{\"prefix\":" + TransferResult.quote(prefix) + ",\"files\":" + files + ",\"bytes\":"
        + bytes + ",\"seconds\":" + TransferResult.secondsText(seconds) + ",\"reconnects\":"
        + reconnects + ",\"tlsFull\":" + tlsFull + ",\"tlsResumed\":" + tlsResumed
        + ",\"resentBytes\":" + resentBytes + ",\"skipped\":" + skipped + ",\"failed\":"
        + failed + "}";
  }
}
