package dev.lifeline.flow;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One message a {@link SessionPublisher} delivers: its sequence in the session's received stream
 * and its bytes.
 *
 * <p>{@code payload} is a heap copy made for the subscriber, positioned at 0 with the message's
 * length as its limit; it belongs to the subscriber, which may keep, change or hand it on. The
 * sequence numbers are consecutive from the session's first message (or from its last durable
 * checkpoint after a rewind; see {@link dev.lifeline.SessionHandler#onInboundRewind}).
 *
 * <pre>{@code
 * void onNext(ReceivedMessage m) {
 *   out.write(m.payload());
 *   subscription.request(1);
 * }
 * }</pre>
 *
 * @param seq the message's sequence number in the session's received stream, from 1
 * @param payload the message's bytes, owned by the subscriber
 */
public record ReceivedMessage(long seq, ByteBuffer payload) {

  /** A message; {@code payload} must not be null. */
  public ReceivedMessage {
    Objects.requireNonNull(payload, "payload");
  }
}
