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
  private final HandshakeLimiter.Slots slots = new HandshakeLimiter.Slots(1);

  @Test
  void excessConnectionIsClosedCountedAndNeverActivated() {
    Recorder firstSeen = new Recorder();
    Recorder secondSeen = new Recorder();
    EmbeddedChannel first = new EmbeddedChannel(new HandshakeLimiter(slots), firstSeen);
    EmbeddedChannel second = new EmbeddedChannel(new HandshakeLimiter(slots), secondSeen);
    try {
      assertTrue(first.isOpen());
      assertEquals(1, slots.inUse());
      assertFalse(second.isOpen(), "over the limit: closed at once");
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
