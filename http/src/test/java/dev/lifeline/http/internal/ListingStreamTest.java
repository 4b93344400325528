package dev.lifeline.http.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The producer/writer hand-over of a streamed listing, with the test thread as the writer: a
 * producer ahead of the writer blocks after {@link ListingStream#QUEUED} chunks (bounded memory)
 * and continues as chunks are taken, each step waking the writer; a connection closed under a
 * blocked producer stops it with {@link ClosedChannelException}; a failed producer makes the
 * writer fail instead of ending the body normally.
 */
class ListingStreamTest {
  private static final String CHUNK = "x".repeat(ListingStream.CHUNK_CHARS);
  private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

  @Test
  void aProducerAheadOfTheWriterBlocksThenFinishes() throws Exception {
    AtomicInteger wakeUps = new AtomicInteger();
    ListingStream body = new ListingStream(wakeUps::incrementAndGet);
    assertNull(body.readChunk(ALLOC), "nothing yet: the writer suspends");
    AtomicInteger produced = new AtomicInteger();
    CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
      try {
        for (int i = 0; i < 10; i++) {
          body.write(CHUNK);
          produced.incrementAndGet();
        }
        body.finish();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> body.queued() == ListingStream.QUEUED);
    assertEquals(ListingStream.QUEUED, produced.get());
    assertFalse(producer.isDone(), "a full queue holds the producer");
    assertEquals(ListingStream.QUEUED, wakeUps.get());

    long received = 0;
    while (!body.isEndOfInput()) {
      ByteBuf b = body.readChunk(ALLOC);
      if (b != null) {
        received += b.readableBytes();
        b.release();
      }
    }
    assertEquals(10L * ListingStream.CHUNK_CHARS, received);
    assertEquals(received, body.progress());
    producer.get(10, TimeUnit.SECONDS);
    assertEquals(11, wakeUps.get(), "one wake-up per chunk and one at the end");
  }

  @Test
  void aClosedConnectionStopsABlockedProducer() throws Exception {
    ListingStream body = new ListingStream(() -> { });
    CompletableFuture<Throwable> producer = CompletableFuture.supplyAsync(() -> {
      try {
        for (int i = 0; i < 100; i++) {
          body.write(CHUNK);
        }
        return null;
      } catch (Exception e) {
        return e;
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> body.queued() == ListingStream.QUEUED);
    body.close(); // what the writer does when the connection closes
    assertInstanceOf(ClosedChannelException.class, producer.get(10, TimeUnit.SECONDS));
    assertEquals(0, body.queued(), "queued chunks are released");
  }

  @Test
  void aFailedWalkFailsTheWriterInsteadOfEndingTheBody() throws Exception {
    ListingStream body = new ListingStream(() -> { });
    body.write(CHUNK);
    body.fail(new IOException("disk gone"));
    ByteBuf first = body.readChunk(ALLOC);
    assertEquals(ListingStream.CHUNK_CHARS, first.readableBytes(), "what was listed still goes");
    first.release();
    assertFalse(body.isEndOfInput());
    IOException e = assertThrows(IOException.class, () -> body.readChunk(ALLOC));
    assertEquals("disk gone", e.getMessage());
    assertTrue(!body.isEndOfInput(), "never looks complete");
  }
}
