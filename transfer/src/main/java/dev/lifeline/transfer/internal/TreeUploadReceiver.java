package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferProgress;

/**
 * The server side of a tree upload (TREE_FILE, TREE_CHUNK, TREE_END, SET_END). Not written yet.
 */
final class TreeUploadReceiver implements ServerTree {
  /** First byte of this receiver's checkpoint states (TransferState's is 1). */
  static final byte STATE_VERSION = 0x21;

  private final Session session;
  private final TransferService service;

  TreeUploadReceiver(Session session, TransferService service) {
    this.session = session;
    this.service = service;
  }

  /** Whether a checkpoint state is this receiver's. */
  static boolean isTreeState(byte[] state) {
    return state.length > 0 && state[0] == STATE_VERSION;
  }

  @Override
  public void message(long seq, byte type, Pieces m) throws Exception {
    throw new IllegalStateException("tree uploads are not supported yet");
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
