package dev.lifeline;

import static dev.lifeline.ReceiverEnds.WAIT;
import static dev.lifeline.ReceiverEnds.awaitAll;
import static dev.lifeline.ReceiverEnds.sendRecords;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a {@link DurableReceiver}'s session ends when something under it fails: its sink (in a
 * message's callback or in the time bound's flush) ends it for good with {@code
 * APPLICATION_ERROR} and the sink's message; its store gives it up in this process only, so the
 * sender resumes it from the last durable checkpoint and nothing is lost or written twice.
 */
class DurableReceiverFailureTest {
  @TempDir Path dir;
  private ReceiverEnds ends;

  @BeforeEach
  void ends() {
    ends = new ReceiverEnds(dir);
  }

  @AfterEach
  void close() throws Exception {
    ends.close();
  }

  @Test
  void aFailingSinkEndsTheSessionWithApplicationErrorAndItsMessage() throws Exception {
    DurableReceiver receiver = DurableReceiver.builder(session -> new DurableReceiver.Sink() {
      @Override
      public void write(long seq, ByteBuffer message) throws IOException {
        if (seq == 3) {
          throw new IOException("disk on fire at message 3");
        }
      }

      @Override
      public byte[] sync() {
        return new byte[0];
      }
    }).build();
    Session session = ends.sender(ends.server(receiver));
    sendRecords(session, 1, 3, 16);

    ExecutionException e = assertThrows(ExecutionException.class,
        () -> session.closeFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    SessionRefusedException refused = assertInstanceOf(SessionRefusedException.class, e.getCause());
    assertEquals(ErrorCode.APPLICATION_ERROR, refused.code());
    assertTrue(refused.getMessage().contains("disk on fire at message 3"), refused.getMessage());
    await().atMost(WAIT).until(() -> receiver.sessions() == 0);
  }

  @Test
  void aFailingTimerSyncEndsTheSessionToo() throws Exception {
    DurableReceiver receiver = DurableReceiver.builder(session -> new DurableReceiver.Sink() {
      @Override
      public void write(long seq, ByteBuffer message) {}

      @Override
      public byte[] sync() throws IOException {
        throw new IOException("fsync failed");
      }
    }).every(Duration.ofMillis(1)).build();
    Session session = ends.sender(ends.server(receiver));
    sendRecords(session, 1, 1, 16);

    ExecutionException e = assertThrows(ExecutionException.class,
        () -> session.closeFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    SessionRefusedException refused = assertInstanceOf(SessionRefusedException.class, e.getCause());
    assertEquals(ErrorCode.APPLICATION_ERROR, refused.code());
    assertTrue(refused.getMessage().contains("fsync failed"), refused.getMessage());
  }

  @Test
  void aCheckpointTheStoreRefusesGivesTheSessionUpHereAndTheSenderResumesFromTheLastDurable()
      throws Exception {
    FailingOnce store = new FailingOnce();
    FileSink.Log log = new FileSink.Log(dir.resolve("out"));
    DurableReceiver receiver = DurableReceiver.builder(FileSink.factory(log))
        .everyMessages(2).every(Duration.ofHours(1)).build();
    LifelineServer server = ends.closeLater(LifelineServer.builder().tls(ends.serverTls())
        .store(store).handler(receiver).start());
    Session session = ends.sender(server);
    awaitAll(sendRecords(session, 1, 2, 24));

    store.failNext.set(true);
    List<CompletableFuture<Void>> acked = sendRecords(session, 3, 4, 24);
    awaitAll(acked);
    assertEquals(1, receiver.stats().checkpointsFailed());
    assertTrue(session.stats().reconnects() >= 1, "the sender resumed");
    assertEquals(List.of(1L, 2L, 3L, 4L), log.records());
    // The restored session's sink went back to checkpoint 2 before 3 and 4 came again.
    List<String> events = log.events();
    int rewind = events.indexOf("rewind 2 " + 2 * (4 + 24));
    assertTrue(rewind > 0, events.toString());
    assertEquals(List.of("write 3", "write 4", "sync 4"), events.subList(rewind + 1,
        events.size()));
  }

  /** An in-memory store whose next checkpoint commit fails when told to. */
  private static final class FailingOnce implements CheckpointStore {
    final AtomicBoolean failNext = new AtomicBoolean();
    private final InMemoryCheckpointStore store = new InMemoryCheckpointStore();

    @Override
    public CompletableFuture<Void> commit(String id, Checkpoint checkpoint) {
      if (failNext.compareAndSet(true, false)) {
        return CompletableFuture.failedFuture(new StoreException("disk full (test)"));
      }
      return store.commit(id, checkpoint);
    }

    @Override
    public CompletableFuture<Void> put(SessionRecord record) {
      return store.put(record);
    }

    @Override
    public CompletableFuture<Optional<SessionRecord>> load(String id) {
      return store.load(id);
    }

    @Override
    public CompletableFuture<Void> delete(String id) {
      return store.delete(id);
    }

    @Override
    public CompletableFuture<List<String>> ids() {
      return store.ids();
    }

    @Override
    public CompletableFuture<List<String>> sweepExpired() {
      return store.sweepExpired();
    }

    @Override
    public void close() {
      store.close();
    }
  }
}
