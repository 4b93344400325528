package dev.lifeline.transfer.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.lifeline.store.Checkpoint;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tree-upload receiver takes messages by name and offset: what it holds already is dropped,
 * what is missing is asked for with NEED once per position, and a file stored before its
 * checkpoint said so is verified, not written again. Driven message by message over a {@link
 * FakeSession} (the cadence is 1 GiB / 1 h, so no checkpoint interferes).
 */
class TreeUploadReceiverTest {
  static final int CHUNK = TransferDescriptor.CHUNK_BYTES;
  static final long MTIME = 1_600_000_000_000L;

  @TempDir Path dir;
  TransferService service;
  FakeSession session;
  byte[] data;
  byte[] sha;

  @BeforeEach
  void setUp() throws Exception {
    service = new TransferService(dir.resolve("files"), 1 << 30, 1 << 30, Duration.ofHours(1));
    session = new FakeSession("s1");
    data = new byte[2 * CHUNK];
    new Random(21).nextBytes(data);
    sha = MessageDigest.getInstance("SHA-256").digest(data);
  }

  @AfterEach
  void close() {
    service.onClosed(session, null);
  }

  void deliver(long seq, byte[] message) throws Exception {
    session.deliver(seq);
    service.onMessage(session, seq, ByteBuffer.wrap(message));
  }

  static byte[] file(String name, int size) {
    return TreeUploadMessages.file(TreeUploadMessages.KIND_FILE, size, MTIME, name);
  }

  byte[] chunk(String name, int offset) {
    byte[] n = TreeUploadMessages.utf8(name);
    ByteBuffer b = ByteBuffer.allocate(TreeUploadMessages.CHUNK_HEADER_MAX + CHUNK);
    TreeUploadMessages.chunkHeader(b, n, offset);
    b.put(data, offset, CHUNK);
    return Arrays.copyOf(b.array(), b.position());
  }

  byte[] end(String name) {
    return TreeUploadMessages.end(false, sha, name);
  }

  /** The answers sent, as "TYPE name [offset]". */
  List<String> answers() {
    return session.sent().stream().map(m -> {
      ByteBuffer b = ByteBuffer.wrap(m);
      byte type = b.get();
      try {
        if (type == TreeUploadMessages.NEED) {
          long offset = b.getLong();
          return "NEED " + TreeUploadMessages.name(b) + " " + offset;
        }
        if (type == TreeUploadMessages.FILE_DONE) {
          b.position(b.position() + TransferDescriptor.SHA_BYTES);
          return "DONE " + TreeUploadMessages.name(b);
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return "0x" + Integer.toHexString(type & 0xff);
    }).collect(Collectors.toList());
  }

  @Test
  void aChunkBeyondWhatIsHeldIsAskedForOnceAndTheFileCompletesWhenItArrives() throws Exception {
    deliver(1, file("t/a.bin", 2 * CHUNK));
    deliver(2, chunk("t/a.bin", CHUNK)); // the first chunk went missing
    deliver(3, chunk("t/a.bin", CHUNK)); // the same gap again: asked for once only
    deliver(4, chunk("t/a.bin", 0));
    deliver(5, chunk("t/a.bin", 0)); // held already: dropped
    deliver(6, chunk("t/a.bin", CHUNK));
    deliver(7, end("t/a.bin"));
    assertEquals(List.of("NEED t/a.bin 0", "DONE t/a.bin"), answers());
    assertArrayEquals(data, Files.readAllBytes(dir.resolve("files/t/a.bin")));
  }

  @Test
  void theEndOfAFileNotHeldIsAnsweredFromTheStoredFileOrAskedForFromTheStart() throws Exception {
    deliver(1, file("t/b.bin", 2 * CHUNK));
    deliver(2, chunk("t/b.bin", 0));
    deliver(3, chunk("t/b.bin", CHUNK));
    deliver(4, end("t/b.bin"));
    // after a checkpoint that crossed a rewind, a stream that starts in the middle of things
    deliver(5, chunk("t/c.bin", CHUNK)); // never announced: ignored
    deliver(6, end("t/b.bin")); // stored with that SHA-256: answered again
    deliver(7, end("t/c.bin")); // never arrived: asked for from the start
    assertEquals(List.of("DONE t/b.bin", "DONE t/b.bin", "NEED t/c.bin 0"), answers());
    assertFalse(Files.exists(dir.resolve("files/t/c.bin")));
  }

  @Test
  void aFileStoredBeforeItsCheckpointSaidSoIsVerifiedNotWrittenAgain() throws Exception {
    Path stored = dir.resolve("files/t/d.bin");
    Files.createDirectories(stored.getParent());
    Files.write(stored, data);
    FileTime old = FileTime.fromMillis(MTIME);
    Files.setLastModifiedTime(stored, old);
    stored.toFile().setReadOnly(); // a write would fail
    MessageDigest prefix = MessageDigest.getInstance("SHA-256");
    prefix.update(data, 0, CHUNK);
    byte[] state = new TreeUploadMessages.State(3, 0, 2 * CHUNK, MTIME, CHUNK, prefix.digest(),
        "t/d.bin").encode();
    session.deliver(10);
    service.onInboundRewind(session, Checkpoint.of(10, state)); // a restarted server
    deliver(11, chunk("t/d.bin", CHUNK));
    deliver(12, end("t/d.bin"));
    assertEquals(List.of("DONE t/d.bin"), answers());
    assertArrayEquals(data, Files.readAllBytes(stored));
    assertEquals(old, Files.getLastModifiedTime(stored));
  }
}
