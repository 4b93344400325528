package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.internal.protocol.Frame.StreamState;
import dev.lifeline.internal.protocol.FrameDescriptor;
import org.junit.jupiter.api.Test;

/**
 * The four combinations of outbound continue/rewind and inbound continue/rewind, and that both
 * sides reach mirrored answers from the same two states.
 */
class ResumePlanTest {
  private static final byte[] NONE = new byte[0];

  private static StreamState state(long received, long checkpoint, long replayFrom) {
    return new StreamState(received, checkpoint, NONE, replayFrom);
  }

  @Test
  void bothContinue() {
    // I sent 1..20, peer got up to 15, I still hold 12..20. Peer sent 1..9, I got up to 9,
    // peer holds 9..9 (8 was acknowledged).
    StreamState mine = state(9, 0, 12);
    StreamState peer = state(15, 10, 9);
    ResumePlan plan = ResumePlan.of(mine, peer);
    assertEquals(16, plan.replayFrom());
    assertFalse(plan.outboundRewind());
    assertFalse(plan.inboundRewind());
    ResumePlan theirs = ResumePlan.of(peer, mine);
    assertEquals(10, theirs.replayFrom());
    assertFalse(theirs.outboundRewind());
    assertFalse(theirs.inboundRewind());
  }

  @Test
  void continuesWhenThePeerWantsExactlyTheFirstHeldMessage() {
    assertFalse(ResumePlan.of(state(0, 0, 12), state(11, 0, 1)).outboundRewind());
    assertTrue(ResumePlan.of(state(0, 0, 12), state(10, 0, 1)).outboundRewind());
  }

  @Test
  void outboundRewindsWhenThisSideLostItsReplayBuffer() {
    // This side restarted: it can replay nothing. The peer's checkpoint is at 30.
    StreamState mine = state(7, 7, FrameDescriptor.NO_REPLAY);
    StreamState peer = state(35, 30, 8);
    ResumePlan plan = ResumePlan.of(mine, peer);
    assertTrue(plan.outboundRewind());
    assertEquals(31, plan.replayFrom(), "send again after the peer's durable checkpoint");
    assertFalse(plan.inboundRewind());
    // The peer computes the mirror image: its inbound stream rewinds to its checkpoint.
    ResumePlan theirs = ResumePlan.of(peer, mine);
    assertTrue(theirs.inboundRewind());
    assertFalse(theirs.outboundRewind());
    assertEquals(8, theirs.replayFrom());
  }

  @Test
  void inboundRewindsWhenThisSideLostAcknowledgedMessages() {
    // This side restarted from its checkpoint at 5 although it had acknowledged up to 9, so the
    // peer released 1..9 and holds only 10.. : the inbound stream goes back to 5.
    StreamState mine = state(5, 5, 3);
    StreamState peer = state(2, 0, 10);
    ResumePlan plan = ResumePlan.of(mine, peer);
    assertTrue(plan.inboundRewind());
    assertFalse(plan.outboundRewind());
    assertEquals(3, plan.replayFrom());
  }

  @Test
  void bothRewind() {
    StreamState mine = state(5, 5, FrameDescriptor.NO_REPLAY);
    StreamState peer = state(4, 4, FrameDescriptor.NO_REPLAY);
    ResumePlan plan = ResumePlan.of(mine, peer);
    assertTrue(plan.outboundRewind());
    assertTrue(plan.inboundRewind());
    assertEquals(5, plan.replayFrom());
    ResumePlan theirs = ResumePlan.of(peer, mine);
    assertTrue(theirs.outboundRewind());
    assertTrue(theirs.inboundRewind());
    assertEquals(6, theirs.replayFrom());
  }
}
