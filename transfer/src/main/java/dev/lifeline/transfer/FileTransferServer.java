package dev.lifeline.transfer;

import dev.lifeline.SessionHandler;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The server side of file transfer: a {@link SessionHandler} to give to {@code
 * LifelineServer.Builder#handler}. Complete files live in {@code filesDir}; uploads in progress in
 * {@code filesDir/.partial/}, renamed into place only once complete and verified.
 *
 * <pre>{@code
 * FileTransferServer files = FileTransferServer.builder(dataDir.resolve("files"))
 *     .maxFileSize(64L << 30)
 *     .build();
 * LifelineServer server = LifelineServer.builder().handler(files.handler())...start();
 * }</pre>
 */
public final class FileTransferServer {
  private final dev.lifeline.transfer.internal.TransferService service;

  private FileTransferServer(Builder b) throws java.io.IOException {
    this.service = new dev.lifeline.transfer.internal.TransferService(
        b.filesDir, b.maxFileSize, b.checkpointBytes, b.checkpointInterval);
  }

  public static Builder builder(Path filesDir) {
    return new Builder(filesDir);
  }

  /** The handler to install on the server. */
  public SessionHandler handler() {
    return service;
  }

  /** The directory complete files live in (absolute, normalised). */
  public Path filesDir() {
    return service.filesDir();
  }

  /**
   * The transfers under way now, one per session that has asked for an upload or a download and
   * not yet ended. A snapshot; safe from any thread.
   */
  public java.util.List<TransferProgress> activeTransfers() {
    return service.activeTransfers();
  }

  /** Removes what an expired session left: its partial upload. */
  public void sessionExpired(String sessionId) {
    service.discardPartial(sessionId);
  }

  /** Configures a {@link FileTransferServer}. */
  public static final class Builder {
    private final Path filesDir;
    private long maxFileSize = 64L << 30;
    private long checkpointBytes = 16L << 20;
    private Duration checkpointInterval = Duration.ofSeconds(1);

    private Builder(Path filesDir) {
      this.filesDir = filesDir;
    }

    /** The largest upload accepted; default 64 GiB. */
    public Builder maxFileSize(long maxFileSize) {
      if (maxFileSize < 0) {
        throw new IllegalArgumentException("maxFileSize: " + maxFileSize + " (expected: >= 0)");
      }
      this.maxFileSize = maxFileSize;
      return this;
    }

    /**
     * How often an upload is made durable and checkpointed: after {@code bytes} or {@code
     * interval}, whichever comes first; default 16 MiB or 1 second.
     */
    public Builder checkpointEvery(long bytes, Duration interval) {
      if (bytes < 1 || interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("checkpointEvery: " + bytes + ", " + interval
            + " (expected: bytes > 0, interval > 0)");
      }
      this.checkpointBytes = bytes;
      this.checkpointInterval = interval;
      return this;
    }

    /** @throws java.io.IOException if the directory cannot be created or used */
    public FileTransferServer build() throws java.io.IOException {
      return new FileTransferServer(this);
    }
  }
}
