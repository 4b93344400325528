package dev.lifeline.transfer.internal;

import dev.lifeline.transfer.FileTransferServer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The SHA-256 of a complete file a {@link FileTransferServer} stores, for other parts of the
 * server (the HTTPS listing) that show it: read from the same {@code .meta} sidecars the Lifeline
 * listing uses, through the same {@link Checksums} instance, so a file is hashed once per version
 * and two writers never race on one sidecar.
 */
public final class StoredChecksums {
  private StoredChecksums() {}

  /**
   * The SHA-256 of {@code file}, a regular file inside {@code server}'s files directory; computed
   * (and recorded) when the sidecar is missing or stale, which reads the whole file.
   */
  public static byte[] sha256(FileTransferServer server, Path file) throws IOException {
    return ((TransferService) server.handler()).checksums().of(file);
  }
}
