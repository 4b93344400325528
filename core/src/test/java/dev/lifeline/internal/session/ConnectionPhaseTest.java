package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConnectionPhaseTest {

  @Test
  void theWayThroughADocumentedConnectionIsAllowed() {
    assertTrue(ConnectionPhase.HANDSHAKE.canMoveTo(ConnectionPhase.GREETING));
    assertTrue(ConnectionPhase.GREETING.canMoveTo(ConnectionPhase.ADMITTING));
    assertTrue(ConnectionPhase.ADMITTING.canMoveTo(ConnectionPhase.ESTABLISHED));
    for (ConnectionPhase p : new ConnectionPhase[] {ConnectionPhase.HANDSHAKE,
        ConnectionPhase.GREETING, ConnectionPhase.ADMITTING, ConnectionPhase.ESTABLISHED}) {
      assertTrue(p.canMoveTo(ConnectionPhase.CLOSING), p + " can end with a CLOSE");
      assertTrue(p.canMoveTo(ConnectionPhase.CLOSED), p + " can end with a cut");
    }
    assertTrue(ConnectionPhase.CLOSING.canMoveTo(ConnectionPhase.CLOSED));
  }

  @Test
  void nothingCompletingLateTakesAConnectionBackOutOfItsEnd() {
    assertFalse(ConnectionPhase.CLOSING.canMoveTo(ConnectionPhase.GREETING),
        "a TLS handshake completing while a CLOSE is on its way");
    assertFalse(ConnectionPhase.CLOSING.canMoveTo(ConnectionPhase.ESTABLISHED),
        "a store's answer arriving while a CLOSE is on its way");
    assertFalse(ConnectionPhase.CLOSED.canMoveTo(ConnectionPhase.CLOSING));
    assertFalse(ConnectionPhase.ESTABLISHED.canMoveTo(ConnectionPhase.ADMITTING));
  }

  @Test
  void greetingFramesAreAwaitedOnlyBeforeAdmission() {
    assertTrue(ConnectionPhase.HANDSHAKE.awaitsGreeting(), "a handler run without TLS");
    assertTrue(ConnectionPhase.GREETING.awaitsGreeting());
    assertFalse(ConnectionPhase.ADMITTING.awaitsGreeting());
    assertFalse(ConnectionPhase.ESTABLISHED.awaitsGreeting());
  }
}
