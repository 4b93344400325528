package dev.lifeline.transfer.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Pieces}: a CHUNK message cut anywhere (even inside its offset field) reads, writes and
 * hashes the same as the message in one buffer.
 */
class PiecesTest {
  @TempDir Path dir;

  /** A CHUNK message: type, offset, then {@code n} data bytes. */
  private static byte[] chunk(long offset, int n) {
    ByteBuffer b = ByteBuffer.allocate(TransferDescriptor.CHUNK_HEADER + n);
    b.put(TransferDescriptor.CHUNK).putLong(offset);
    for (int i = 0; i < n; i++) {
      b.put((byte) (i * 13 + 5));
    }
    return b.array();
  }

  /** {@code message} cut at {@code cuts}, each piece in a direct buffer of its own. */
  private static ByteBuffer[] cut(byte[] message, int... cuts) {
    List<ByteBuffer> parts = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : message.length;
      ByteBuffer p = ByteBuffer.allocateDirect(to - from);
      p.put(message, from, to - from).flip();
      parts.add(p);
      from = to;
    }
    return parts.toArray(new ByteBuffer[0]);
  }

  @Test
  void everyCutReadsWritesAndHashesLikeOneBuffer() throws Exception {
    byte[] message = chunk(0x0102030405060708L, 600);
    byte[] data = Arrays.copyOfRange(message, TransferDescriptor.CHUNK_HEADER, message.length);
    Path file = dir.resolve("f");
    for (int a = 0; a <= message.length; a += 7) {
      for (int b = a; b <= message.length; b += a < 20 ? 1 : 97) {
        Pieces m = new Pieces(cut(message, a, b));
        assertEquals(message.length, m.remaining());
        assertEquals(TransferDescriptor.CHUNK, m.peek());
        assertEquals(TransferDescriptor.CHUNK, m.get());
        assertEquals(0x0102030405060708L, m.getLong());
        m.skip(50); // bytes the receiver already has
        try (FileChannel f = FileChannel.open(file, StandardOpenOption.CREATE,
            StandardOpenOption.WRITE, StandardOpenOption.READ,
            StandardOpenOption.TRUNCATE_EXISTING)) {
          m.writeAt(f, 1000);
          assertEquals(1000 + data.length - 50, f.size());
        }
        byte[] written = Files.readAllBytes(file);
        assertArrayEquals(Arrays.copyOfRange(data, 50, data.length),
            Arrays.copyOfRange(written, 1000, written.length), "cuts " + a + "," + b);
        MessageDigest d = Hashing.sha256();
        m.hash(d);
        MessageDigest expected = Hashing.sha256();
        expected.update(data, 50, data.length - 50);
        assertArrayEquals(expected.digest(), d.digest(), "writing left the rest to hash");
        assertEquals(data.length - 50, m.remaining());
      }
    }
  }

  @Test
  void flattenGivesTheOnlyPieceItselfAndCopiesSeveral() {
    byte[] message = chunk(7, 10);
    ByteBuffer[] one = cut(message);
    Pieces single = new Pieces(one);
    single.get();
    assertSame(one[0], single.flatten());
    Pieces several = new Pieces(cut(message, 3, 12));
    several.get();
    ByteBuffer flat = several.flatten();
    assertEquals(7, flat.getLong());
    assertEquals(10, flat.remaining());
  }

  @Test
  void readingPastTheEndUnderflowsAsAByteBufferDoes() throws IOException {
    Pieces m = new Pieces(cut(new byte[] {1, 2, 3}, 1));
    assertThrows(BufferUnderflowException.class, m::getLong);
    Pieces empty = new Pieces();
    assertEquals(0, empty.remaining());
    assertThrows(BufferUnderflowException.class, empty::peek);
    Pieces short2 = new Pieces(cut(new byte[] {1, 2}));
    assertThrows(BufferUnderflowException.class, () -> short2.skip(3));
  }
}
