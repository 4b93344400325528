package dev.lifeline.store;

import static dev.lifeline.store.OutboxContract.appendAll;
import static dev.lifeline.store.OutboxContract.assertHolds;
import static dev.lifeline.store.OutboxContract.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.internal.JournalChannels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only the file outbox does: its files, damage on open, a full disk, segments. */
class FileOutboxTest {
  private static final String KEY = "client/../../etc/passwd resume key";

  @TempDir Path dir;
  private final List<FileCheckpointStore> stores = new ArrayList<>();

  @AfterEach
  void closeStores() {
    stores.forEach(FileCheckpointStore::close);
  }

  private FileCheckpointStore open() throws StoreException {
    return open(FileCheckpointStore.builder(dir));
  }

  private FileCheckpointStore open(FileCheckpointStore.Builder builder) throws StoreException {
    FileCheckpointStore store = builder.build();
    stores.add(store);
    return store;
  }

  /** The single outbox directory: named by the key's hash, never by the key. */
  private Path outboxDir() throws IOException {
    try (Stream<Path> dirs = Files.list(dir.resolve("outbox"))) {
      List<Path> all = dirs.toList();
      assertEquals(1, all.size(), all.toString());
      return all.get(0);
    }
  }

  private Path onlySegment() throws IOException {
    try (Stream<Path> files = Files.list(outboxDir())) {
      List<Path> segments = files.filter(p -> p.getFileName().toString().startsWith("segment-"))
          .sorted().toList();
      assertEquals(1, segments.size(), segments.toString());
      return segments.get(0);
    }
  }

  @Test
  void theDirectoryIsNamedByTheKeysHash() throws Exception {
    FileCheckpointStore store = open();
    appendAll(store.openOutbox(KEY), 1, 3);
    assertTrue(outboxDir().getFileName().toString().matches("[0-9a-f]{32}"), outboxDir().toString());
  }

  @Test
  void aKeyIsOpenOncePerProcess() throws Exception {
    FileCheckpointStore store = open();
    Outbox o = store.openOutbox(KEY);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> store.openOutbox(KEY));
    assertTrue(e.getMessage().contains(KEY), e.getMessage());
    o.close();
    o.close(); // idempotent
    store.openOutbox(KEY).close(); // free again once closed
  }

  @Test
  void keysThatAreNotPrintableAsciiAreRefused() throws Exception {
    FileCheckpointStore store = open();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> store.openOutbox("tab\there"));
    assertEquals("key: character 9 at index 3 (expected: printable ASCII)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> store.openOutbox(""));
  }

  @Test
  void closingTheStoreClosesItsOutboxes() throws Exception {
    FileCheckpointStore store = open();
    Outbox o = store.openOutbox(KEY);
    appendAll(o, 1, 2);
    store.close();
    CompletionException e = assertThrows(CompletionException.class,
        () -> o.append(3, message(3, 10)).join());
    assertInstanceOf(IllegalStateException.class, e.getCause());
    assertHolds(open().openOutbox(KEY), 1, 2);
  }

  @Test
  void aTornTailIsCutOff() throws Exception {
    FileCheckpointStore store = open();
    appendAll(store.openOutbox(KEY), 1, 10);
    store.close();
    Path segment = onlySegment();
    long goodLength = Files.size(segment);
    // a record whose header promises 150 bytes, cut short after 40: a write the kill interrupted
    ByteBuffer torn = ByteBuffer.allocate(57).putInt(12345).putInt(150).putLong(11).put((byte) 1);
    append(segment, torn.position(0));

    Outbox reopened = open().openOutbox(KEY);
    assertHolds(reopened, 1, 10);
    assertEquals(goodLength, Files.size(segment));
    appendAll(reopened, 11, 12);
    assertHolds(reopened, 1, 12);
  }

  @Test
  void aDamagedRecordBeforeIntactOnesIsCorruption() throws Exception {
    FileCheckpointStore store = open();
    appendAll(store.openOutbox(KEY), 1, 10);
    store.close();
    Path segment = onlySegment();
    flipByte(segment, Files.size(segment) / 2);
    StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
        () -> open().openOutbox(KEY));
    assertEquals(segment, e.file());
    assertTrue(e.getMessage().contains("followed by an intact record"), e.getMessage());
    // never emptied: the damaged file is still there, a second open says the same
    assertThrows(StoreCorruptedException.class, () -> stores.get(1).openOutbox(KEY));
  }

  @Test
  void aDamagedMetaFileIsCorruption() throws Exception {
    FileCheckpointStore store = open();
    byte[] id = store.openOutbox(KEY).producerId();
    store.close();
    Path meta = outboxDir().resolve("meta");
    flipByte(meta, 10);
    StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
        () -> open().openOutbox(KEY));
    assertEquals(meta, e.file());
    flipByte(meta, 10);
    assertArrayEquals(id, stores.get(1).openOutbox(KEY).producerId());
  }

  @Test
  void aMissingMetaFileBesideSegmentsIsCorruption() throws Exception {
    FileCheckpointStore store = open();
    appendAll(store.openOutbox(KEY), 1, 2);
    store.close();
    Files.delete(outboxDir().resolve("meta"));
    StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
        () -> open().openOutbox(KEY));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void aFullDiskFailsTheBatchAndEveryLaterAppendUntilReopened() throws Exception {
    AtomicBoolean diskFull = new AtomicBoolean();
    JournalChannels faulty = (path, options) ->
        new FaultyFileChannel(FileChannel.open(path, options), diskFull);
    FileCheckpointStore store = open(FileCheckpointStore.builder(dir).journalChannels(faulty));
    Outbox o = store.openOutbox(KEY);
    appendAll(o, 1, 5);
    long goodLength = Files.size(onlySegment());

    diskFull.set(true);
    CompletableFuture<Void> failed = o.append(6, message(6, 300));
    CompletionException e = assertThrows(CompletionException.class, failed::join);
    StoreException cause = assertInstanceOf(StoreException.class, e.getCause());
    assertTrue(cause.getMessage().contains("No space left on device"), cause.getMessage());
    assertTrue(cause.getMessage().contains(onlySegment().toString()), cause.getMessage());
    assertEquals(goodLength, Files.size(onlySegment()), "the half-written batch was cut off");

    diskFull.set(false); // space is back, but this outbox stays refused until reopened
    e = assertThrows(CompletionException.class, () -> o.append(7, message(7, 10)).join());
    assertSame(cause, e.getCause());
    assertHoldsWhileBroken(o, 1, 5, 6); // the refused append took no number

    store.close();
    Outbox reopened = open().openOutbox(KEY);
    assertHolds(reopened, 1, 5);
    appendAll(reopened, 6, 8);
    assertHolds(reopened, 1, 8);
  }

  /** As {@link OutboxContract#assertHolds} for a broken outbox whose last seq ran ahead. */
  private static void assertHoldsWhileBroken(Outbox o, long first, long last, long lastAppended)
      throws StoreException {
    List<Long> seqs = new ArrayList<>();
    o.read((seq, m) -> seqs.add(seq));
    assertEquals(java.util.stream.LongStream.rangeClosed(first, last).boxed().toList(), seqs);
    assertEquals(lastAppended, o.lastSeq());
  }

  @Test
  void aTrimIsWrittenWithTheNextBatch() throws Exception {
    FileCheckpointStore store = open();
    Outbox o = store.openOutbox(KEY);
    appendAll(o, 1, 10);
    o.trim(7);
    appendAll(o, 11, 11);
    // a copy of the files as a kill would leave them now: the store is still open
    Path copy = dir.resolveSibling(dir.getFileName() + "-copy");
    copyTree(dir, copy);
    try (FileCheckpointStore copied = FileCheckpointStore.open(copy)) {
      assertHolds(copied.openOutbox(KEY), 8, 11);
    }
  }

  @Test
  void fullSegmentsRollAndTrimmedOnesAreDeleted() throws Exception {
    FileCheckpointStore store = open();
    Outbox o = store.openOutbox(KEY);
    int size = 1 << 20;
    CompletableFuture<?> last = null;
    for (long s = 1; s <= 70; s++) { // 70 MiB: more than one 64 MiB segment
      last = o.append(s, ByteBuffer.allocate(size).putLong(0, s));
    }
    last.join();
    assertEquals(2, segmentCount());
    o.trim(69);
    o.append(71, ByteBuffer.allocate(size).putLong(0, 71)).join();
    assertEquals(1, segmentCount(), "the first segment held only trimmed messages");
    store.close();

    Outbox reopened = open().openOutbox(KEY);
    assertEquals(70, reopened.firstSeq());
    assertEquals(71, reopened.lastSeq());
    assertEquals(2L * size, reopened.bytes());
    List<Long> seen = new ArrayList<>();
    reopened.read((seq, m) -> seen.add(m.getLong(0)));
    assertEquals(List.of(70L, 71L), seen);
  }

  private long segmentCount() throws IOException {
    try (Stream<Path> files = Files.list(outboxDir())) {
      return files.filter(p -> p.getFileName().toString().startsWith("segment-")).count();
    }
  }

  private static void append(Path file, ByteBuffer bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.APPEND)) {
      ch.write(bytes);
    }
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ 0x5A)).position(0);
      ch.write(b, offset);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
