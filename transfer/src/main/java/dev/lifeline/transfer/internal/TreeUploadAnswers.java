package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import dev.lifeline.transfer.TreeListener;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.function.Supplier;

/**
 * The client's session handler of a tree upload: a listing's messages go to the collector that
 * waits for them, everything else becomes an event for the uploading thread, which alone owns the
 * set's state (so no lock guards it).
 */
final class TreeUploadAnswers implements SessionHandler {
  record FileDone(String name, byte[] sha) {}

  record FileError(String name, String message) {}

  record Need(String name, long offset) {}

  record SetDone(int round) {}

  record Rewound(Checkpoint checkpoint) {}

  record Failed(TransferException error) {}

  private final BlockingQueue<Object> events;
  private final Supplier<TreeListing.Collector> collector;
  private final TreeListener listener;

  TreeUploadAnswers(BlockingQueue<Object> events, Supplier<TreeListing.Collector> collector,
      TreeListener listener) {
    this.events = events;
    this.collector = collector;
    this.listener = listener;
  }

  @Override
  public void onMessage(Session session, long seq, ByteBuffer m) throws TransferException {
    TreeListing.Collector c = collector.get();
    if (c != null && c.accept(m)) {
      return;
    }
    byte type = m.get();
    if (type == TreeUploadMessages.FILE_DONE) {
      byte[] sha = TransferDescriptor.sha(m);
      events.add(new FileDone(TreeUploadMessages.name(m), sha));
    } else if (type == TreeUploadMessages.FILE_ERROR) {
      Reason reason = TransferDescriptor.reason(m.get());
      String name = TreeUploadMessages.name(m);
      events.add(new FileError(name, "server: " + reason + ": "
          + TransferDescriptor.str16(m, 4096)));
    } else if (type == TreeUploadMessages.NEED) {
      long offset = m.getLong();
      events.add(new Need(TreeUploadMessages.name(m), offset));
    } else if (type == TreeUploadMessages.SET_DONE) {
      events.add(new SetDone(m.getInt()));
    } else if (type == TransferDescriptor.ERROR) {
      events.add(new Failed(TransferDescriptor.errorOf(m)));
    }
    // anything else (a listing answered twice) is not for this upload
  }

  @Override
  public void onOutboundRewind(Session session, Checkpoint checkpoint) {
    events.add(new Rewound(checkpoint));
  }

  @Override
  public void onResumed(Session session) {
    listener.reconnected(session.stats().reconnects());
  }

  @Override
  public void onClosed(Session session, Throwable cause) {
    if (cause != null) {
      TransferException e = ClientSide.failure(cause);
      events.add(new Failed(e));
      TreeListing.Collector c = collector.get();
      if (c != null) {
        c.result().completeExceptionally(e);
      }
    }
  }
}
