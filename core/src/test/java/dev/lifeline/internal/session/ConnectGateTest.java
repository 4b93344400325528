package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** The client's bound on connection attempts in flight. */
class ConnectGateTest {

  @Test
  void attemptsBeyondTheBoundWaitAndStartInOrderAsPermitsComeBack() {
    List<String> ran = new ArrayList<>();
    ConnectGate gate = new ConnectGate(2, Runnable::run);
    for (String name : List.of("a", "b", "c", "d")) {
      gate.submit(() -> ran.add(name));
    }
    assertEquals(List.of("a", "b"), ran);
    assertEquals(2, gate.inFlight());
    assertEquals(2, gate.waiting());
    gate.release();
    assertEquals(List.of("a", "b", "c"), ran);
    gate.release();
    gate.release();
    assertEquals(List.of("a", "b", "c", "d"), ran);
    assertEquals(1, gate.inFlight());
    assertEquals(0, gate.waiting());
  }

  @Test
  void closedExecutorDropsWaitingAttemptsWithoutLeakingPermits() {
    ConnectGate gate = new ConnectGate(1, task -> {
      throw new RejectedExecutionException("shut down");
    });
    gate.submit(() -> { });
    gate.submit(() -> { });
    assertEquals(0, gate.inFlight());
    assertEquals(0, gate.waiting());
  }
}
