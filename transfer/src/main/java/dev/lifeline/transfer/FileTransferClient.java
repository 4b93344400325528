package dev.lifeline.transfer;

import dev.lifeline.LifelineClient;
import java.nio.file.Path;

/**
 * Uploads and downloads files over a {@link LifelineClient}, resumably and verified end to end
 * with SHA-256. Each transfer is a session stored under a resume key derived from the server, the
 * name and the local path, so re-running the same transfer with the same client store continues
 * it after this process was killed.
 *
 * <pre>{@code
 * FileTransferClient transfers = new FileTransferClient(client, "localhost:7443");
 * TransferResult r = transfers.upload(Path.of("big.iso"), "big.iso", TransferListener.NONE);
 * System.out.println(r.toJson());
 * }</pre>
 */
public final class FileTransferClient {
  private final LifelineClient client;
  private final String server;
  private final boolean fsyncDownloads;

  /**
   * @param server the server's "host:port", part of every resume key so transfers to different
   *     servers never mix
   */
  public FileTransferClient(LifelineClient client, String server) {
    this(client, server, true);
  }

  private FileTransferClient(LifelineClient client, String server, boolean fsyncDownloads) {
    this.client = client;
    this.server = server;
    this.fsyncDownloads = fsyncDownloads;
  }

  /**
   * The same client with downloads made durable or not. By default ({@code true}) a download
   * fsyncs its part file before each checkpoint and before the rename, so what it acknowledged
   * survives a power loss. With {@code false} the output stays in the page cache, as curl's
   * does: a killed process still continues from its last checkpoint (the kernel keeps the
   * pages), but after a machine crash a download in progress starts over (its part file no longer
   * matches the checkpoint's SHA-256; the listener hears why) and a file already completed may be
   * incomplete. It saves the disk's write-back time (about 15% of a 1 GiB download on
   * this project's benchmark machine, docs/benchmarks.md). Uploads are unaffected: the server
   * decides their durability.
   */
  public FileTransferClient withDownloadFsync(boolean fsync) {
    return new FileTransferClient(client, server, fsync);
  }

  /**
   * Uploads {@code file} as {@code name}; returns once the server has the whole file durably and
   * its SHA-256 matches.
   *
   * @throws TransferException with the reason it failed
   */
  public TransferResult upload(Path file, String name, TransferListener listener)
      throws TransferException, InterruptedException {
    return dev.lifeline.transfer.internal.Upload.run(client, server, file, name, listener);
  }

  /**
   * Downloads {@code name} to {@code target} (written as {@code target.part} and renamed when its
   * SHA-256 matches); returns once the file is complete and durable (see
   * {@link #withDownloadFsync}).
   *
   * @throws TransferException with the reason it failed
   */
  public TransferResult download(String name, Path target, TransferListener listener)
      throws TransferException, InterruptedException {
    return dev.lifeline.transfer.internal.Download.run(client, server, name, target, listener,
        fsyncDownloads);
  }

  /**
   * Uploads the tree under {@code dir} as {@code prefix/...}: every regular file and empty
   * directory, with modification times, pipelined over one session. Files the server already
   * holds with the same size and SHA-256 are skipped. Re-running the same call with the same
   * client store after either side was killed continues the set: finished files are not sent
   * again, the file in progress continues from the server's checkpoint. Symbolic links are never
   * followed; each one is reported through {@link TreeListener#notice} and not sent.
   *
   * @return per-file outcomes; {@link TreeResult#ok()} only when every file is stored verified
   * @throws TransferException when the set as a whole failed (unreachable, refused, bad name)
   */
  public TreeResult uploadTree(Path dir, String prefix, TreeListener listener)
      throws TransferException, InterruptedException {
    return dev.lifeline.transfer.internal.TreeUpload.run(client, server, dir, prefix, listener);
  }

  /**
   * Downloads every file stored under {@code prefix/} into {@code dir}, keeping the tree's shape,
   * empty directories and modification times; files already in {@code dir} with the server's
   * size and SHA-256 are skipped. Resumable as a set, like {@link #uploadTree}. A listing whose
   * names would leave {@code dir} is refused before anything is written.
   */
  public TreeResult downloadTree(String prefix, Path dir, TreeListener listener)
      throws TransferException, InterruptedException {
    return dev.lifeline.transfer.internal.TreeDownload.run(client, server, prefix, dir, listener,
        fsyncDownloads);
  }

  /**
   * The complete files the server stores under {@code prefix} (all of them for an empty prefix),
   * sorted by name.
   */
  public java.util.List<StoredFile> list(String prefix)
      throws TransferException, InterruptedException {
    return dev.lifeline.transfer.internal.TreeListing.list(client, prefix);
  }
}
