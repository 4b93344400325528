package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.StreamRewoundException;
import java.security.SecureRandom;
import java.util.List;

/**
 * The GET requests of one tree download client. Request numbers start at random so an answer
 * the server still streams for a killed run is never taken for this run's. After a rewind both
 * {@code onOutboundRewind} and {@code onInboundRewind} ask (their order is not fixed): the second
 * asks again only if what it would ask differs (the inbound rewind moved the first sequence or
 * the offset), so one rewind costs one request. Confined to the session's application thread.
 */
final class TreeGetRequests {
  private int request = new SecureRandom().nextInt() & 0x3fffffff;
  // What the last GET asked, with the outbound rewinds it follows.
  private String last;

  /** The number of the latest request sent. */
  int latest() {
    return request;
  }

  /**
   * A GET without names, FIRST and LAST: the server stops streaming the answer to a request of
   * a run before this one (a re-run of a killed process whose session the server kept).
   */
  void stopOldAnswer(Session session) throws LifelineException {
    request = (request + 1) & 0x3fffffff;
    for (byte[] g : TreeGetCodec.gets(request, 0, 0, List.of())) {
      TransferService.trySendAfterRewind(session, g);
    }
  }

  /**
   * Asks for {@code names} ({@code offset} into the first), answered from the first sequence
   * number this side will deliver, {@code session.lastCheckpoint().position() + 1} (read on the
   * application thread, so it is the checkpoint a rewind left). {@code force} false: not if the
   * same request already follows every rewind so far.
   */
  void ask(Session session, long offset, List<String> names, boolean force)
      throws LifelineException, InterruptedException {
    long firstSeq = session.lastCheckpoint().position() + 1;
    while (true) {
      long rewinds = session.stats().rewinds();
      String get = rewinds + "/" + firstSeq + "/" + offset + "/" + names.size() + "/"
          + names.get(0);
      if (!force && get.equals(last)) {
        return;
      }
      int req = (request + 1) & 0x3fffffff;
      try {
        for (byte[] part : TreeGetCodec.gets(req, firstSeq, offset, names)) {
          session.send(part);
        }
        request = req;
        last = get;
        return;
      } catch (StreamRewoundException e) {
        // rewound since the count was read: ask again, after it
      }
    }
  }
}
