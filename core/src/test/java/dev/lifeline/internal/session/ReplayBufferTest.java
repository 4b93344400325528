package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ReplayBufferTest {

  private final List<ByteBuf> payloads = new ArrayList<>();

  private ByteBuf payload(int size) {
    ByteBuf b = Unpooled.buffer(size).writeZero(size);
    payloads.add(b);
    return b;
  }

  @Test
  void boundedInBytesButAlwaysTakesOneMessageWhenEmpty() {
    ReplayBuffer buffer = new ReplayBuffer();
    assertTrue(buffer.hasRoom(1000, 100), "an empty buffer takes a message larger than its bound");
    buffer.append(1, payload(60), new CompletableFuture<>());
    assertTrue(buffer.hasRoom(40, 100));
    assertFalse(buffer.hasRoom(41, 100));
    buffer.append(2, payload(40), new CompletableFuture<>());
    assertEquals(100, buffer.bytes());
    assertFalse(buffer.hasRoom(1, 100));
    buffer.acknowledge(1);
    assertTrue(buffer.hasRoom(60, 100));
    assertFalse(buffer.hasRoom(61, 100));
    buffer.clear(3);
  }

  @Test
  void acknowledgeIsCumulativeReleasesAndReturnsFuturesInOrder() {
    ReplayBuffer buffer = new ReplayBuffer();
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (long seq = 1; seq <= 5; seq++) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      futures.add(f);
      buffer.append(seq, payload(10), f);
    }
    List<CompletableFuture<Void>> done = buffer.acknowledge(3);
    assertEquals(futures.subList(0, 3), done);
    assertEquals(4, buffer.firstSeq());
    assertEquals(2, buffer.size());
    assertEquals(20, buffer.bytes());
    for (int i = 0; i < 3; i++) {
      assertEquals(0, payloads.get(i).refCnt(), "acknowledged payload " + (i + 1) + " released");
    }
    assertEquals(1, payloads.get(3).refCnt());
    assertTrue(buffer.acknowledge(2).isEmpty(), "a stale acknowledgement does nothing");
    assertTrue(buffer.acknowledge(3).isEmpty());
    assertEquals(futures.subList(3, 5), buffer.clear(6));
    assertEquals(6, buffer.firstSeq());
    assertEquals(0, buffer.bytes());
    payloads.forEach(p -> assertEquals(0, p.refCnt()));
  }

  @Test
  void getFindsEntriesAcrossRingWrapAndGrowth() {
    ReplayBuffer buffer = new ReplayBuffer();
    long next = 1;
    // Move the head into the middle of the initial ring, then grow it several times.
    for (; next <= 10; next++) {
      buffer.append(next, payload((int) next), new CompletableFuture<>());
    }
    buffer.acknowledge(7);
    for (; next <= 100; next++) {
      buffer.append(next, payload((int) next % 50), new CompletableFuture<>());
    }
    for (long seq = 8; seq < next; seq++) {
      ReplayBuffer.Entry e = buffer.get(seq);
      assertEquals(seq, e.seq());
      assertSame(payloads.get((int) seq - 1), e.payload());
    }
    assertThrows(IllegalArgumentException.class, () -> buffer.get(7));
    final long beyond = next;
    assertThrows(IllegalArgumentException.class, () -> buffer.get(beyond));
    buffer.clear(next);
  }

  @Test
  void refusesGapsAndRenumberingWhileHoldingMessages() {
    ReplayBuffer buffer = new ReplayBuffer();
    buffer.append(1, payload(1), new CompletableFuture<>());
    assertThrows(IllegalStateException.class,
        () -> buffer.append(3, Unpooled.EMPTY_BUFFER, new CompletableFuture<>()));
    assertThrows(IllegalStateException.class, () -> buffer.resetFirstSeq(10));
    buffer.acknowledge(1);
    buffer.resetFirstSeq(10);
    assertEquals(10, buffer.firstSeq());
    buffer.append(10, payload(1), new CompletableFuture<>());
    buffer.clear(11);
  }
}
