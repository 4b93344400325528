package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferProgress;

/** The server side of a tree download (GET and its answers). Not written yet. */
final class TreeDownloadSender implements ServerTree {
  private final Session session;
  private final TransferService service;

  TreeDownloadSender(Session session, TransferService service) {
    this.session = session;
    this.service = service;
  }

  @Override
  public void message(long seq, byte type, Pieces m) throws Exception {
    throw new IllegalStateException("tree downloads are not supported yet");
  }

  @Override
  public void onInboundRewind(Checkpoint checkpoint) {}

  @Override
  public void onOutboundRewind(Checkpoint checkpoint) {}

  @Override
  public void onClosed(Throwable cause) {}

  @Override
  public TransferProgress progress() {
    return null;
  }
}
