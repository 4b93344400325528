package dev.lifeline.internal.session;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import java.nio.ByteBuffer;

/**
 * Implemented (besides {@link SessionHandler}) by a handler that takes a message in the pieces it
 * arrived in, so that nothing copies them into one buffer: a large message comes off the network
 * as several decrypted TLS reads, and a receiver that writes it to a file (gathering write) and
 * hashes it piece by piece needs no contiguous copy. Internal: the transfer module's receivers
 * implement it; applications get every message in one {@link ByteBuffer}.
 */
public interface PiecewiseHandler {

  /**
   * Called instead of {@link SessionHandler#onMessage} for a message held in more than one piece;
   * a message in one piece still goes to {@code onMessage}. {@code pieces} are the message's
   * consecutive parts (any of them may be short, even a few bytes), valid only during this call;
   * everything else is as for {@code onMessage}.
   */
  void onMessagePieces(Session session, long seq, ByteBuffer[] pieces) throws Exception;
}
