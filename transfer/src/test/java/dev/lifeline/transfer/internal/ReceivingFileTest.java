package dev.lifeline.transfer.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiving cycle both receivers share, without a session: chunks land at their offsets and
 * in the running hash, a checkpoint is due by bytes, its state claims exactly what was written,
 * a reopened file continues after a prefix read back from disk, and the finished file is renamed
 * with its time.
 */
class ReceivingFileTest {
  @TempDir Path dir;
  Path part;
  byte[] data;

  @BeforeEach
  void setUp() {
    part = dir.resolve("f.part");
    data = new byte[10_000];
    new Random(19).nextBytes(data);
  }

  /** The bytes of {@code data} from {@code from} to {@code to}, as a chunk's body arrives. */
  Pieces body(int from, int to) {
    return new Pieces(ByteBuffer.wrap(data, from, to - from));
  }

  byte[] sha(int length) {
    return Hashing.sha256().digest(Arrays.copyOf(data, length));
  }

  @Test
  void overlappingChunksAreWrittenAndHashedOnceEach() throws Exception {
    ReceivingFile f = new ReceivingFile(1 << 20, Long.MAX_VALUE, false);
    f.open(part);
    f.resumeAt(0, Hashing.sha256(), 0);
    f.append(1, body(0, 4000), 0, 4000, true);
    // A replayed chunk that starts before what is written: only its new bytes count.
    f.append(2, body(3000, 10_000), 3000, 7000, true);

    assertEquals(10_000, f.written());
    assertEquals(2, f.lastChunkSeq());
    assertArrayEquals(sha(10_000), f.sha());
    f.close();
    assertArrayEquals(data, Files.readAllBytes(part));
  }

  @Test
  void aCheckpointIsDueAfterItsBytesAndClaimsExactlyWhatWasWritten() throws Exception {
    ReceivingFile f = new ReceivingFile(5000, Long.MAX_VALUE, false);
    f.open(part);
    f.resumeAt(0, Hashing.sha256(), 0);
    f.checkpointState("n", 10_000, 7, new byte[32], false); // starts the interval
    f.append(1, body(0, 4000), 0, 4000, true);
    assertFalse(f.checkpointDue(), "4000 of 5000 bytes");
    f.append(2, body(4000, 6000), 4000, 2000, true);
    assertTrue(f.checkpointDue());
    assertTrue(f.holdsUncheckpointed());

    TransferState st = TransferState.decode(f.checkpointState("n", 10_000, 7, new byte[32], false));

    assertEquals(6000, st.offset());
    assertArrayEquals(sha(6000), st.prefixSha());
    assertFalse(f.checkpointDue(), "the checkpoint restarted the interval");
    assertFalse(f.holdsUncheckpointed());
    f.close();
  }

  @Test
  void aSyncedCheckpointIsCommittedOnlyAfterItsSync() throws Exception {
    ReceivingFile f = new ReceivingFile(1, Long.MAX_VALUE, true);
    f.open(part);
    f.resumeAt(0, Hashing.sha256(), 0);
    f.append(1, body(0, 100), 0, 100, true);
    AtomicInteger commits = new AtomicInteger();
    f.syncThen(commits::incrementAndGet, e -> { });
    f.awaitSync();
    assertEquals(1, commits.get());

    ReceivingFile unsynced = new ReceivingFile(1, Long.MAX_VALUE, false);
    unsynced.open(dir.resolve("g.part"));
    unsynced.syncThen(commits::incrementAndGet, e -> { });
    assertEquals(2, commits.get(), "without fsync the commit runs at once, on this thread");
    f.close();
    unsynced.close();
  }

  @Test
  void aReopenedFileContinuesAfterItsPrefixReadBackFromDisk() throws Exception {
    ReceivingFile f = new ReceivingFile(1 << 20, Long.MAX_VALUE, false);
    f.open(part);
    f.resumeAt(0, Hashing.sha256(), 0);
    f.append(1, body(0, 8000), 0, 8000, true);
    long first = f.generation();
    f.close();
    assertNotEquals(first, f.generation(), "a close changes the generation");

    // The checkpoint said 5000: the 3000 bytes after it are cut, the prefix re-hashed.
    f.open(part);
    assertEquals(8000, f.length());
    java.security.MessageDigest prefix = f.hashPrefix(5000);
    assertArrayEquals(sha(5000), Hashing.peek(prefix));
    f.cutTo(5000);
    f.resumeAt(5000, prefix, 1);
    f.append(2, body(5000, 10_000), 5000, 5000, true);

    assertArrayEquals(sha(10_000), f.sha());
    Path target = dir.resolve("f");
    f.moveTo(target, StandardCopyOption.ATOMIC_MOVE);
    f.settle(target, 1_000_000L);
    assertFalse(f.isOpen());
    assertFalse(Files.exists(part));
    assertArrayEquals(data, Files.readAllBytes(target));
    assertEquals(1_000_000L, Files.getLastModifiedTime(target).toMillis());
  }

  @Test
  void startingOverEmptiesTheFileAndTheHash() throws Exception {
    ReceivingFile f = new ReceivingFile(1 << 20, Long.MAX_VALUE, false);
    f.open(part);
    f.resumeAt(0, Hashing.sha256(), 0);
    f.append(1, body(0, 3000), 0, 3000, true);
    f.startOver();
    assertEquals(0, f.written());
    assertEquals(0, f.length());
    f.append(2, body(0, 10_000), 0, 10_000, true);
    assertArrayEquals(sha(10_000), f.sha());
    f.close();
  }

  @Test
  void verifyingHashesWithoutWriting() throws Exception {
    Path stored = dir.resolve("stored");
    Files.write(stored, data);
    ReceivingFile f = new ReceivingFile(1 << 20, Long.MAX_VALUE, true);
    f.openToVerify(stored);
    java.security.MessageDigest prefix = f.hashPrefix(2000);
    f.resumeAt(2000, prefix, 0);
    f.append(1, body(2000, 10_000), 2000, 8000, false);
    assertArrayEquals(sha(10_000), f.sha());
    f.close();
    assertArrayEquals(data, Files.readAllBytes(stored));
  }
}
