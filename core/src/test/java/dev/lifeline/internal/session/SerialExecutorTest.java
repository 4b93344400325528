package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@link SerialExecutor}: tasks in order, and a gated task holding those after it. */
class SerialExecutorTest {
  private final Queue<Runnable> pool = new ArrayDeque<>();
  private final SerialExecutor serial = new SerialExecutor(pool::add);
  private final List<String> ran = new ArrayList<>();

  private void runPool() {
    for (Runnable r; (r = pool.poll()) != null; ) {
      r.run();
    }
  }

  @Test
  void aGatedTaskAndEverythingAfterItWaitForTheGateWithoutABlockedThread() {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    serial.execute(() -> ran.add("a"));
    serial.executeWhen(() -> gate, () -> ran.add("gated"));
    serial.execute(() -> ran.add("b"));
    runPool();
    assertEquals(List.of("a"), ran, "the pool thread returned; nothing after the gate ran");
    serial.execute(() -> ran.add("c"));
    runPool();
    assertEquals(List.of("a"), ran);
    gate.completeExceptionally(new IllegalStateException("failed gates open too"));
    runPool();
    assertEquals(List.of("a", "gated", "b", "c"), ran);
  }

  @Test
  void theGateIsAskedForAtTheTasksTurnSoItSeesWhatTheTasksBeforeItDid() {
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    serial.execute(() -> pending.add(new CompletableFuture<>()));
    serial.executeWhen(() -> CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)),
        () -> ran.add("gated"));
    runPool();
    assertEquals(List.of(), ran);
    pending.get(0).complete(null);
    runPool();
    assertEquals(List.of("gated"), ran);
    serial.executeWhen(() -> CompletableFuture.completedFuture(null), () -> ran.add("open"));
    runPool();
    assertEquals(List.of("gated", "open"), ran);
  }
}
