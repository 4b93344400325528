package dev.lifeline.internal.session;

import dev.lifeline.internal.protocol.Frame.StreamState;

/**
 * What both sides do after a resume, computed by each side from the two {@link StreamState}s they
 * exchanged, so both reach the same answer without another round trip.
 *
 * <p>For the stream this side sends: if the peer's next wanted message is still in the replay
 * buffer ({@code peer.received + 1 >= mine.replayFrom}) the sender replays from there; otherwise
 * (this side restarted, or the peer lost messages it had acknowledged only in memory) the stream
 * rewinds to the peer's last durable checkpoint. The stream this side receives follows the same
 * rule seen from the other end.
 *
 * @param replayFrom the first sequence to send again when the outbound stream continues
 * @param outboundRewind whether the outbound stream restarts after the peer's checkpoint
 * @param inboundRewind whether the inbound stream restarts after this side's checkpoint
 */
record ResumePlan(long replayFrom, boolean outboundRewind, boolean inboundRewind) {

  static ResumePlan of(StreamState mine, StreamState peer) {
    boolean outboundContinues = peer.received() + 1 >= mine.replayFrom();
    boolean inboundContinues = mine.received() + 1 >= peer.replayFrom();
    long replayFrom = outboundContinues ? peer.received() + 1 : peer.checkpointSeq() + 1;
    return new ResumePlan(replayFrom, !outboundContinues, !inboundContinues);
  }
}
