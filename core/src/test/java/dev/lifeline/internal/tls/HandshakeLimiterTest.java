package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The concurrent handshake limiter in embedded channels, with a recorder behind it. */
class HandshakeLimiterTest {
  private final HandshakeLimiter.Slots slots = new HandshakeLimiter.Slots(1, 64);

  @Test
  void excessConnectionIsClosedCountedAndNeverActivatedWhenTheQueueIsFull() {
    HandshakeLimiter.Slots slots = new HandshakeLimiter.Slots(1, 0);
    Recorder firstSeen = new Recorder();
    Recorder secondSeen = new Recorder();
    EmbeddedChannel first = new EmbeddedChannel(new HandshakeLimiter(slots), firstSeen);
    EmbeddedChannel second = new EmbeddedChannel(new HandshakeLimiter(slots), secondSeen);
    try {
      assertTrue(first.isOpen());
      assertEquals(1, slots.inUse());
      assertFalse(second.isOpen(), "over the limit and no room to wait: closed at once");
      assertEquals(1, slots.rejected());
      assertTrue(second.attr(HandshakeLimiter.REJECTED).get().startsWith("rejected: 1 concurrent"));
      assertNull(first.attr(HandshakeLimiter.REJECTED).get());
      assertFalse(secondSeen.events.contains("active"), "rejected channel must not look active");
      assertTrue(firstSeen.events.contains("active"));
    } finally {
      first.finishAndReleaseAll();
      second.finishAndReleaseAll();
    }
  }

  @Test
  void completedHandshakeFreesItsSlotOnceAndPassesTheEventOn() {
    Recorder seen = new Recorder();
    EmbeddedChannel first = new EmbeddedChannel(new HandshakeLimiter(slots), seen);
    try {
      first.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
      assertEquals(0, slots.inUse());
      assertTrue(seen.events.contains(SslHandshakeCompletionEvent.SUCCESS.toString()));

      EmbeddedChannel next = new EmbeddedChannel(new HandshakeLimiter(slots));
      assertTrue(next.isOpen(), "slot was given back");
      first.close();
      assertEquals(1, slots.inUse(), "closing after completion must not free a second time");
      next.close();
      assertEquals(0, slots.inUse(), "closing before completion frees the slot");
      next.finishAndReleaseAll();
    } finally {
      first.finishAndReleaseAll();
    }
  }

  @Test
  void excessConnectionsWaitNotReadingAndGetFreedSlotsInArrivalOrder() {
    Recorder firstSeen = new Recorder();
    Recorder secondSeen = new Recorder();
    Recorder thirdSeen = new Recorder();
    EmbeddedChannel first = new EmbeddedChannel(new HandshakeLimiter(slots), firstSeen);
    EmbeddedChannel second = new EmbeddedChannel(new HandshakeLimiter(slots), secondSeen);
    EmbeddedChannel third = new EmbeddedChannel(new HandshakeLimiter(slots), thirdSeen);
    try {
      assertTrue(second.isOpen() && third.isOpen(), "over the limit: waiting, not closed");
      assertEquals(2, slots.waiting());
      assertEquals(0, slots.rejected());
      assertFalse(second.config().isAutoRead(), "a waiting connection does not read");
      assertFalse(secondSeen.events.contains("active"), "a waiting connection is not active yet");

      first.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
      second.runPendingTasks();
      third.runPendingTasks();
      assertTrue(secondSeen.events.contains("active"), "first in line got the slot");
      assertTrue(second.config().isAutoRead());
      assertFalse(thirdSeen.events.contains("active"));
      assertEquals(1, slots.inUse());
      assertEquals(1, slots.waiting());

      second.close();
      third.runPendingTasks();
      assertTrue(thirdSeen.events.contains("active"), "closing before completion hands the slot on");
      assertEquals(1, slots.inUse());
      assertEquals(0, slots.waiting());
      assertEquals(2, slots.queued());
    } finally {
      first.finishAndReleaseAll();
      second.finishAndReleaseAll();
      third.finishAndReleaseAll();
    }
  }

  @Test
  void waiterThatClosesIsSkippedAndGivesNothingBack() {
    EmbeddedChannel first = new EmbeddedChannel(new HandshakeLimiter(slots));
    EmbeddedChannel second = new EmbeddedChannel(new HandshakeLimiter(slots));
    Recorder thirdSeen = new Recorder();
    EmbeddedChannel third = new EmbeddedChannel(new HandshakeLimiter(slots), thirdSeen);
    try {
      second.close();
      assertEquals(1, slots.waiting(), "the closed waiter no longer counts");
      assertEquals(1, slots.inUse(), "and did not free the slot it never had");
      first.close();
      third.runPendingTasks();
      assertTrue(thirdSeen.events.contains("active"), "the slot skipped the closed waiter");
      assertEquals(1, slots.inUse());
      third.close();
      assertEquals(0, slots.inUse());
      assertEquals(0, slots.waiting());
    } finally {
      first.finishAndReleaseAll();
      second.finishAndReleaseAll();
      third.finishAndReleaseAll();
    }
  }

  private static final class Recorder extends ChannelInboundHandlerAdapter {
    final List<String> events = new ArrayList<>();

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      events.add("active");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      events.add(evt.toString());
    }
  }
}
