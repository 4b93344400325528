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
 *
 * <p>Each request also names the first message the client will deliver ({@link #firstSeq}), so
 * the server can number its answer past a checkpoint that landed after the RESUME named an older
 * one. When the client's inbound rewind is reported after the request went out (it waits for
 * such a commit to land; the outbound rewind does not), the part file was cut back to that
 * checkpoint: {@link #resendIfStale} then asks again from there.
 */
final class DownloadRequests {
  private final String name;
  private final LongSupplier offset;
  private final BooleanSupplier done;
  // The outbound rewinds (SessionStats.rewinds) the last request is known to follow; guarded by
  // this, which also keeps requests from being sent concurrently.
  private long requestedAfterRewinds = -1;
  // What the last request asked for; guarded by this.
  private long requestedOffset = -1;
  private long requestedFirstSeq = -1;

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
        if (send(session, block)) {
          requestedAfterRewinds = rewinds;
        }
        return;
      } catch (StreamRewoundException e) {
        // rewound since the count was read: ask again, after it
      }
    }
  }

  /**
   * Asks again if a request follows the last outbound rewind but no longer says where the
   * download stands (an inbound rewind reported since moved the offset or the first sequence
   * number). Call on the session's application thread, after the part file was reopened.
   */
  synchronized void resendIfStale(Session session) throws LifelineException {
    if (done.getAsBoolean() || requestedAfterRewinds < 0
        || requestedAfterRewinds < session.stats().rewinds()) {
      return; // nothing asked yet, or onOutboundRewind will ask with the new position
    }
    if (offset.getAsLong() == requestedOffset && firstSeq(session) == requestedFirstSeq) {
      return;
    }
    try {
      send(session, false);
    } catch (StreamRewoundException e) {
      // a newer outbound rewind: onOutboundRewind asks after it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean send(Session session, boolean block)
      throws LifelineException, InterruptedException {
    long at = offset.getAsLong();
    long first = firstSeq(session);
    byte[] request = TransferDescriptor.download(at, name, first);
    if (block) {
      session.send(request);
    } else if (session.trySend(request) == null) {
      return false;
    }
    requestedOffset = at;
    requestedFirstSeq = first;
    return true;
  }

  /**
   * The first message the client will deliver: messages up to its last durable checkpoint are
   * dropped as covered after a rewind, whichever checkpoint its RESUME named.
   */
  static long firstSeq(Session session) {
    return session.lastCheckpoint().position() + 1;
  }
}
