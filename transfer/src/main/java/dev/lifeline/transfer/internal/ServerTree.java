package dev.lifeline.transfer.internal;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferProgress;

/**
 * A tree transfer on the server ({@link TreeUploadReceiver}, {@link TreeDownloadSender}): the
 * session's messages of its kind and the session's events, all on the session's ordered thread.
 */
interface ServerTree {
  /** A message of this transfer's kind; {@code type} already read from {@code m}. */
  void message(long seq, byte type, Pieces m) throws Exception;

  void onInboundRewind(Checkpoint checkpoint);

  void onOutboundRewind(Checkpoint checkpoint);

  /** The session ended ({@code cause} null when closed by the client after success). */
  void onClosed(Throwable cause);

  /** Where it stands for the status page, or null. */
  TransferProgress progress();
}
