package dev.lifeline.transfer;

import java.util.Objects;

/**
 * A snapshot of one transfer in progress on a {@link FileTransferServer}, for status pages.
 *
 * @param sessionId the session that carries it
 * @param direction {@link Direction#UPLOAD} (client to server) or {@link Direction#DOWNLOAD}
 * @param name the file name
 * @param size the file's size in bytes
 * @param done bytes written to the partial file (upload) or acknowledged by the client
 *     (download); an upload's may fall back after a rewind to its last checkpoint
 */
public record TransferProgress(String sessionId, Direction direction, String name, long size,
    long done) {
  /** Which way the file moves. */
  public enum Direction {
    UPLOAD,
    DOWNLOAD
  }

  public TransferProgress {
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(name, "name");
  }
}
