package dev.lifeline.transfer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Direct chunk buffers: the CHUNK layout read from the file, reuse only after the send is over. */
class ChunkBuffersTest {
  @TempDir Path dir;

  @Test
  void readsAChunkMessageStraightFromTheFile() throws Exception {
    byte[] content = new byte[1000];
    new Random(1).nextBytes(content);
    Path p = Files.write(dir.resolve("f"), content);
    ChunkBuffers buffers = new ChunkBuffers(TransferDescriptor.CHUNK_HEADER + 600, 4);
    try (FileChannel f = FileChannel.open(p, StandardOpenOption.READ)) {
      ByteBuffer m = buffers.readChunk(f, 300, 600);
      assertTrue(m.isDirect());
      assertEquals(0, m.position());
      assertEquals(TransferDescriptor.CHUNK_HEADER + 600, m.remaining());
      assertEquals(TransferDescriptor.CHUNK, m.get());
      assertEquals(300, m.getLong());
      for (int i = 0; i < 600; i++) {
        assertEquals(content[300 + i], m.get(), "byte " + i);
      }
      assertNull(buffers.readChunk(f, 700, 600), "the file ends before the chunk does");
    }
  }

  @Test
  void aBufferComesBackOnlyWhenItsSendIsOver() {
    ChunkBuffers buffers = new ChunkBuffers(64, 4);
    ByteBuffer first = buffers.take();
    CompletableFuture<Void> sent = new CompletableFuture<>();
    buffers.giveWhenDone(sent, first);
    ByteBuffer second = buffers.take();
    assertNotSame(first, second, "still the session's");
    sent.completeExceptionally(new RuntimeException("rewound"));
    ByteBuffer third = buffers.take();
    assertSame(first, third, "reused once the send failed or was acknowledged");
    assertEquals(0, third.position());
    assertEquals(64, third.limit());
  }

  @Test
  void keepsAtMostMaxIdle() {
    ChunkBuffers buffers = new ChunkBuffers(16, 1);
    ByteBuffer a = buffers.take();
    ByteBuffer b = buffers.take();
    buffers.give(a);
    buffers.give(b);
    assertSame(a, buffers.take());
    assertNotSame(b, buffers.take(), "the second idle buffer was not kept");
  }
}
