package dev.lifeline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rules every {@link CheckpointStore} keeps. An implementation's test extends this class and
 * says how to open its store; a persistent store also says that {@link #open} on the same test
 * reopens the same data.
 */
public abstract class CheckpointStoreContract {
  protected static final Duration TTL = Duration.ofMinutes(10);
  protected static final long START = 1_700_000_000_000L;

  protected final MutableClock clock = new MutableClock(START);
  protected final List<SessionRecord> expired = new CopyOnWriteArrayList<>();
  private final List<CheckpointStore> opened = new ArrayList<>();

  /**
   * Opens the store under test. In one test every call must open the same data, so that a
   * persistent store sees what an earlier, closed instance wrote.
   */
  protected abstract CheckpointStore open(Clock clock, Duration ttl, ExpiryListener listener)
      throws Exception;

  /** True if data outlives {@link CheckpointStore#close()}. */
  protected abstract boolean persistent();

  protected final CheckpointStore store() throws Exception {
    CheckpointStore store = open(clock, TTL, expired::add);
    opened.add(store);
    return store;
  }

  @AfterEach
  void closeStores() {
    opened.forEach(CheckpointStore::close);
  }

  protected SessionRecord record(String id) {
    return SessionRecord.builder(id)
        .secret(("secret-" + id).getBytes(StandardCharsets.UTF_8))
        .identity("CN=" + id)
        .createdAtMillis(clock.millis())
        .lastActiveMillis(clock.millis())
        .attributes(("file " + id).getBytes(StandardCharsets.UTF_8))
        .build();
  }

  protected static byte[] stateFor(String id, long position) {
    return (id + "@" + position).getBytes(StandardCharsets.UTF_8);
  }

  protected static Throwable failure(CompletableFuture<?> f) {
    CompletionException e = assertThrows(CompletionException.class, f::join);
    return e.getCause();
  }

  @Test
  void putThenLoadReturnsTheSameRecord() throws Exception {
    CheckpointStore store = store();
    SessionRecord r = record("s-1");
    store.put(r).join();
    assertEquals(Optional.of(r), store.load("s-1").join());
  }

  @Test
  void loadOfAnAbsentRecordIsEmpty() throws Exception {
    assertEquals(Optional.empty(), store().load("nobody").join());
  }

  @Test
  void putReplacesTheWholeRecord() throws Exception {
    CheckpointStore store = store();
    store.put(record("s-1")).join();
    SessionRecord replaced = record("s-1").toBuilder()
        .secret(new byte[] {9, 9}).attributes(new byte[] {1}).build();
    store.put(replaced).join();
    assertEquals(Optional.of(replaced), store.load("s-1").join());
  }

  @Test
  void commitStoresTheCheckpointAndMarksTheSessionActive() throws Exception {
    CheckpointStore store = store();
    SessionRecord r = record("s-1");
    store.put(r).join();
    clock.advance(Duration.ofSeconds(7));
    Checkpoint cp = Checkpoint.of(42, stateFor("s-1", 42));
    store.commit("s-1", cp).join();
    SessionRecord loaded = store.load("s-1").join().orElseThrow();
    assertEquals(cp, loaded.checkpoint());
    assertEquals(clock.millis(), loaded.lastActiveMillis());
    assertEquals(r.withCheckpoint(cp, clock.millis()), loaded);
  }

  @Test
  void commitOfTheSamePositionReplacesTheState() throws Exception {
    CheckpointStore store = store();
    store.put(record("s-1")).join();
    store.commit("s-1", Checkpoint.of(5, new byte[] {1})).join();
    store.commit("s-1", Checkpoint.of(5, new byte[] {2})).join();
    assertEquals(Checkpoint.of(5, new byte[] {2}),
        store.load("s-1").join().orElseThrow().checkpoint());
  }

  @Test
  void commitOfAnOlderPositionFailsAndKeepsTheStoredCheckpoint() throws Exception {
    CheckpointStore store = store();
    store.put(record("s-1")).join();
    store.commit("s-1", Checkpoint.of(10, stateFor("s-1", 10))).join();
    Throwable e = failure(store.commit("s-1", Checkpoint.of(9, stateFor("s-1", 9))));
    assertInstanceOf(IllegalArgumentException.class, e);
    assertTrue(e.getMessage().contains("9 (expected: >= 10"), e.getMessage());
    assertEquals(10, store.load("s-1").join().orElseThrow().checkpoint().position());
  }

  @Test
  void commitToAnUnknownSessionFails() throws Exception {
    Throwable e = failure(store().commit("ghost", Checkpoint.of(1, new byte[0])));
    assertInstanceOf(UnknownSessionException.class, e);
    assertTrue(e.getMessage().contains("ghost"), e.getMessage());
  }

  @Test
  void deleteRemovesTheRecordAndLaterCommitsFail() throws Exception {
    CheckpointStore store = store();
    store.put(record("s-1")).join();
    store.delete("s-1").join();
    assertEquals(Optional.empty(), store.load("s-1").join());
    assertInstanceOf(UnknownSessionException.class,
        failure(store.commit("s-1", Checkpoint.of(1, new byte[0]))));
    store.delete("s-1").join(); // absent: still succeeds
  }

  @Test
  void idsListsEveryLiveRecord() throws Exception {
    CheckpointStore store = store();
    for (int i = 0; i < 5; i++) {
      store.put(record("s-" + i)).join();
    }
    store.delete("s-3").join();
    assertEquals(Set.of("s-0", "s-1", "s-2", "s-4"), new HashSet<>(store.ids().join()));
  }

  @Test
  void invalidIdsAreRejectedNamingTheProblem() throws Exception {
    CheckpointStore store = store();
    assertTrue(failure(store.load("")).getMessage().startsWith("id: 0 chars"));
    assertInstanceOf(IllegalArgumentException.class,
        failure(store.commit("has space", Checkpoint.NONE)));
    assertInstanceOf(IllegalArgumentException.class, failure(store.delete("x".repeat(129))));
  }

  @Test
  void largestRecordRoundTrips() throws Exception {
    CheckpointStore store = store();
    byte[] big = new byte[Checkpoint.MAX_STATE_BYTES];
    new Random(1).nextBytes(big);
    SessionRecord r = record("s-big").toBuilder()
        .attributes(Arrays.copyOf(big, SessionRecord.MAX_ATTRIBUTES_BYTES))
        .secret(new byte[SessionRecord.MAX_SECRET_BYTES])
        .checkpoint(Checkpoint.of(Long.MAX_VALUE - 1, big))
        .build();
    store.put(r).join();
    store.commit("s-big", Checkpoint.of(Long.MAX_VALUE, big)).join();
    assertEquals(r.withCheckpoint(Checkpoint.of(Long.MAX_VALUE, big), clock.millis()),
        store.load("s-big").join().orElseThrow());
  }

  @Test
  void recordsExpireTtlAfterTheirLastActivity() throws Exception {
    CheckpointStore store = store();
    store.put(record("s-1")).join();
    clock.advance(TTL.minusMillis(1));
    assertTrue(store.load("s-1").join().isPresent());
    clock.advance(Duration.ofMillis(1));
    assertEquals(Optional.empty(), store.load("s-1").join());
    assertEquals(List.of(), store.ids().join());
    assertInstanceOf(UnknownSessionException.class,
        failure(store.commit("s-1", Checkpoint.of(1, new byte[0]))));
  }

  @Test
  void commitKeepsASessionAlive() throws Exception {
    CheckpointStore store = store();
    store.put(record("s-1")).join();
    clock.advance(TTL.dividedBy(2));
    store.commit("s-1", Checkpoint.of(1, new byte[0])).join();
    clock.advance(TTL.minusMillis(1));
    assertTrue(store.load("s-1").join().isPresent());
  }

  @Test
  void sweepRemovesExpiredRecordsAndReportsThem() throws Exception {
    CheckpointStore store = store();
    store.put(record("old-1")).join();
    store.put(record("old-2")).join();
    clock.advance(TTL.dividedBy(2));
    store.put(record("young")).join();
    clock.advance(TTL.dividedBy(2));

    assertEquals(Set.of("old-1", "old-2"), new HashSet<>(store.sweepExpired().join()));
    assertEquals(List.of(), store.sweepExpired().join());
    Set<String> told = new HashSet<>();
    expired.forEach(r -> told.add(r.id()));
    assertEquals(Set.of("old-1", "old-2"), told);
    assertEquals(List.of("young"), store.ids().join());

    clock.set(START); // removed, not hidden: turning the clock back does not revive them
    assertEquals(Optional.empty(), store.load("old-1").join());
  }

  @Test
  void concurrentCommitsKeepTheHighestPosition() throws Exception {
    CheckpointStore store = store();
    int sessions = 20;
    int threads = 8;
    int commitsPerThread = 200;
    for (int s = 0; s < sessions; s++) {
      store.put(record("c-" + s)).join();
    }
    ConcurrentHashMap<String, AtomicLong> highest = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<?>> all = new CopyOnWriteArrayList<>();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      pool.execute(() -> {
        Random random = new Random(seed);
        awaitQuietly(start);
        for (int i = 0; i < commitsPerThread; i++) {
          String id = "c-" + random.nextInt(sessions);
          long position = random.nextInt(1_000_000);
          highest.computeIfAbsent(id, k -> new AtomicLong()).accumulateAndGet(position, Math::max);
          all.add(store.commit(id, Checkpoint.of(position, stateFor(id, position)))
              .exceptionally(e -> {
                Throwable cause = e instanceof CompletionException ? e.getCause() : e;
                if (!(cause instanceof IllegalArgumentException)) {
                  throw new AssertionError("unexpected failure", e);
                }
                return null;
              }));
        }
      });
    }
    start.countDown();
    pool.shutdown();
    assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
    assertEquals(threads * commitsPerThread, all.size());
    for (var e : highest.entrySet()) {
      Checkpoint cp = store.load(e.getKey()).join().orElseThrow().checkpoint();
      assertEquals(e.getValue().get(), cp.position(), e.getKey());
      assertEquals(Checkpoint.of(cp.position(), stateFor(e.getKey(), cp.position())), cp);
    }
  }

  @Test
  void recordsSurviveReopen() throws Exception {
    assumeTrue(persistent(), "not a persistent store");
    CheckpointStore first = store();
    List<SessionRecord> expected = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      first.put(record("p-" + i)).join();
      Checkpoint cp = Checkpoint.of(i * 10L, stateFor("p-" + i, i * 10L));
      first.commit("p-" + i, cp).join();
      expected.add(record("p-" + i).withCheckpoint(cp, clock.millis()));
    }
    first.delete("p-7").join();
    expected.remove(7);
    first.close();

    CheckpointStore second = store();
    assertEquals(expected.size(), second.ids().join().size());
    for (SessionRecord r : expected) {
      assertEquals(Optional.of(r), second.load(r.id()).join());
    }
    assertEquals(Optional.empty(), second.load("p-7").join());
    clock.advance(TTL); // activity times survive too
    assertEquals(expected.size(), second.sweepExpired().join().size());
  }

  @Test
  void closeIsIdempotentAndLaterCallsFail() throws Exception {
    CheckpointStore store = store();
    store.put(record("s-1")).join();
    store.close();
    store.close();
    Throwable e = failure(store.load("s-1"));
    assertInstanceOf(IllegalStateException.class, e);
    assertNotNull(e.getMessage());
    assertInstanceOf(IllegalStateException.class, failure(store.put(record("s-2"))));
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
