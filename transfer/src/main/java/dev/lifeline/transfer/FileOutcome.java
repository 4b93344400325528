package dev.lifeline.transfer;

/**
 * What happened to one file of a tree transfer; one line of the demo's {@code --json} output.
 *
 * @param name the file's name on the server ({@code PREFIX/...})
 * @param bytes its size
 * @param sha256 lowercase hex SHA-256 both ends agree on (empty when it failed)
 * @param status what happened to it
 * @param error why it failed, or null
 */
public record FileOutcome(String name, long bytes, String sha256, Status status, String error) {

  /** What happened to one file. */
  public enum Status {
    /** Sent in this run (or finished from a checkpoint) and verified end to end. */
    TRANSFERRED,
    /** Already at the destination with the same size and SHA-256: not sent again. */
    SKIPPED,
    /** Not transferred; {@link #error()} says why. */
    FAILED
  }

  /** Whether the file is at the destination, verified: transferred or skipped. */
  public boolean ok() {
    return status != Status.FAILED;
  }

  /** One JSON object on one line. */
  public String toJson() {
    return "{\"file\":" + TransferResult.quote(name) + ",\"bytes\":" + bytes + ",\"sha256\":\""
        + (sha256 == null ? "" : sha256) + "\",\"status\":\"" + status.name().toLowerCase()
        + "\"" + (error == null ? "" : ",\"error\":" + TransferResult.quote(error)) + "}";
  }
}
