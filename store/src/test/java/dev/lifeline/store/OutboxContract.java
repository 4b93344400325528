package dev.lifeline.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rules every {@link Outbox} keeps, run against each implementation: contiguous numbering,
 * reading back in order, trim, reset, the producer id and, for a persistent one, all of it across
 * a reopen.
 */
public abstract class OutboxContract {
  private final List<CheckpointStore> stores = new ArrayList<>();
  private CheckpointStore store;

  /** Opens the store under test; in one test every call opens the same data. */
  protected abstract CheckpointStore openStore() throws Exception;

  /** True if outboxes outlive the store object (the file store). */
  protected abstract boolean persistent();

  protected final Outbox outbox(String key) throws Exception {
    if (store == null) {
      store = openStore();
      stores.add(store);
    }
    return store.openOutbox(key);
  }

  /** Closes the store (and with it its outboxes) so that the next {@link #outbox} reopens. */
  protected final void restart() {
    store.close();
    store = null;
  }

  @AfterEach
  void closeStores() {
    stores.forEach(CheckpointStore::close);
  }

  /** A message that says which seq it is, {@code size} bytes. */
  protected static ByteBuffer message(long seq, int size) {
    ByteBuffer b = ByteBuffer.allocate(size);
    for (int i = 0; i < size; i++) {
      b.put((byte) (seq * 31 + i));
    }
    return b.flip();
  }

  protected static int sizeOf(long seq) {
    return (int) (seq % 7) * 50;
  }

  protected static void appendAll(Outbox o, long from, long to) {
    CompletableFuture<?> last = null;
    for (long s = from; s <= to; s++) {
      last = o.append(s, message(s, sizeOf(s)));
    }
    if (last != null) {
      last.join();
    }
  }

  /** Reads the outbox and checks it holds exactly {@code first..last}, intact. */
  protected static void assertHolds(Outbox o, long first, long last) throws StoreException {
    List<Long> seqs = new ArrayList<>();
    o.read((seq, m) -> {
      assertEquals(message(seq, sizeOf(seq)), m, "message " + seq);
      seqs.add(seq);
    });
    assertEquals(LongStream.rangeClosed(first, last).boxed().toList(), seqs);
    assertEquals(first, o.firstSeq());
    assertEquals(last, o.lastSeq());
    assertEquals(LongStream.rangeClosed(first, last).map(OutboxContract::sizeOf).sum(),
        o.bytes());
  }

  @Test
  void anEmptyOutboxStartsAtOne() throws Exception {
    Outbox o = outbox("fresh");
    assertHolds(o, 1, 0);
  }

  @Test
  void appendsAreReadBackInOrder() throws Exception {
    Outbox o = outbox("k");
    appendAll(o, 1, 500);
    assertHolds(o, 1, 500);
  }

  @Test
  void appendCopiesTheMessage() throws Exception {
    Outbox o = outbox("k");
    ByteBuffer m = message(1, sizeOf(1));
    o.append(1, m).join();
    m.put(0, (byte) 99);
    assertHolds(o, 1, 1);
  }

  @Test
  void aSeqOutOfOrderIsRefused() throws Exception {
    Outbox o = outbox("k");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> o.append(2, message(2, 10)));
    assertEquals("seq 2 (expected: 1)", e.getMessage());
    o.append(1, message(1, sizeOf(1))).join();
    e = assertThrows(IllegalArgumentException.class, () -> o.append(1, message(1, 10)));
    assertEquals("seq 1 (expected: 2)", e.getMessage());
    assertHolds(o, 1, 1);
  }

  @Test
  void futuresCompleteInAppendOrder() throws Exception {
    Outbox o = outbox("k");
    ConcurrentLinkedQueue<Long> order = new ConcurrentLinkedQueue<>();
    CompletableFuture<?> last = null;
    for (long s = 1; s <= 20_000; s++) {
      long seq = s;
      last = o.append(s, message(s, 20)).thenRun(() -> order.add(seq));
    }
    last.join();
    assertEquals(LongStream.rangeClosed(1, 20_000).boxed().toList(), new ArrayList<>(order));
  }

  @Test
  void trimDropsThePrefix() throws Exception {
    Outbox o = outbox("k");
    appendAll(o, 1, 10);
    o.trim(4);
    assertHolds(o, 5, 10);
    o.trim(2); // behind the trim point: nothing changes
    assertHolds(o, 5, 10);
    o.trim(100); // beyond the last: empty, numbering continues
    assertHolds(o, 11, 10);
    appendAll(o, 11, 12);
    assertHolds(o, 11, 12);
  }

  @Test
  void resetDropsEverythingAndRenumbers() throws Exception {
    Outbox o = outbox("k");
    appendAll(o, 1, 5);
    o.reset(42).join();
    assertHolds(o, 42, 41);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> o.append(6, message(6, 10)));
    assertEquals("seq 6 (expected: 42)", e.getMessage());
    appendAll(o, 42, 44);
    assertHolds(o, 42, 44);
    o.reset(3).join(); // numbering may also go back (a rewind to the peer's checkpoint)
    appendAll(o, 3, 4);
    assertHolds(o, 3, 4);
  }

  @Test
  void theProducerIdIsSixteenStableBytesPerKey() throws Exception {
    Outbox a = outbox("a");
    byte[] id = a.producerId();
    assertEquals(16, id.length);
    assertArrayEquals(id, a.producerId());
    assertFalse(Arrays.equals(id, outbox("b").producerId()));
    id[0]++;
    assertFalse(Arrays.equals(id, a.producerId()), "a copy, not the outbox's own array");
  }

  @Test
  void deleteEndsTheOutbox() throws Exception {
    Outbox o = outbox("k");
    appendAll(o, 1, 3);
    o.delete();
    Outbox again = outbox("k");
    assertHolds(again, 1, 0);
  }

  @Test
  void aReopenedOutboxHoldsWhatWasAppended() throws Exception {
    assumeTrue(persistent());
    Outbox o = outbox("k");
    byte[] id = o.producerId();
    appendAll(o, 1, 300);
    o.trim(100);
    restart();
    Outbox reopened = outbox("k");
    assertArrayEquals(id, reopened.producerId());
    assertHolds(reopened, 101, 300); // close wrote the trim
    appendAll(reopened, 301, 302);
    assertHolds(reopened, 101, 302);
  }

  @Test
  void aResetSurvivesAReopen() throws Exception {
    assumeTrue(persistent());
    Outbox o = outbox("k");
    appendAll(o, 1, 50);
    o.reset(7).join();
    appendAll(o, 7, 9);
    restart();
    assertHolds(outbox("k"), 7, 9);
  }

  @Test
  void aDeletedOutboxStaysDeletedAcrossAReopen() throws Exception {
    assumeTrue(persistent());
    Outbox o = outbox("k");
    byte[] id = o.producerId();
    appendAll(o, 1, 3);
    o.delete();
    restart();
    Outbox again = outbox("k");
    assertHolds(again, 1, 0);
    assertFalse(Arrays.equals(id, again.producerId()), "a new outbox, a new producer");
  }
}
