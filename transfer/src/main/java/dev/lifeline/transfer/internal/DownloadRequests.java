package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.StreamRewoundException;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Sends a download's DOWNLOAD requests: one from the current offset after each outbound rewind,
 * never two for the same rewind. The first request ({@link Download#run}) and {@code
 * onOutboundRewind} both answer the rewind of a session a re-run restored, and whichever comes
 * first takes the rewind's exception and sends: without this check both sent one and the server
 * sent the rest of the file twice. A request sent after reading the rewind count follows that
 * rewind (a later one makes the send throw: requests are sent one at a time, here, or by {@code
 * Download.meta} for a file that changed), and a rewind after it runs {@code onOutboundRewind}
 * again, which asks anew.
 */
final class DownloadRequests {
  private final String name;
  private final LongSupplier offset;
  private final BooleanSupplier done;
  // The outbound rewinds (SessionStats.rewinds) the last request is known to follow; guarded by
  // this, which also keeps requests from being sent concurrently.
  private long requestedAfterRewinds = -1;

  /**
   * @param offset where the download continues (any thread)
   * @param done whether the file is complete, so that nothing is to be asked for (any thread)
   */
  DownloadRequests(String name, LongSupplier offset, BooleanSupplier done) {
    this.name = name;
    this.offset = offset;
    this.done = done;
  }

  /**
   * Sends DOWNLOAD from the current offset, unless a request already follows every outbound
   * rewind so far or the download is done.
   *
   * @param block wait for room in the replay buffer (false: give up if there is none)
   */
  synchronized void sendOnce(Session session, boolean block)
      throws LifelineException, InterruptedException {
    while (!done.getAsBoolean()) {
      long rewinds = session.stats().rewinds();
      if (requestedAfterRewinds >= rewinds) {
        return;
      }
      try {
        byte[] request = TransferDescriptor.download(offset.getAsLong(), name);
        if (block) {
          session.send(request);
        } else if (session.trySend(request) == null) {
          return;
        }
        requestedAfterRewinds = rewinds;
        return;
      } catch (StreamRewoundException e) {
        // rewound since the count was read: ask again, after it
      }
    }
  }
}
