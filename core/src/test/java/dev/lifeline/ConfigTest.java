package dev.lifeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Configuration validation messages, defaults, value semantics. */
class ConfigTest {
  @Test
  void invalidValuesNameTheSettingAndTheExpectation() {
    ServerTlsConfig.Builder server = ServerTlsConfig.builder();
    assertEquals("handshakeTimeout: PT0S (expected: > 0)", assertThrows(
        IllegalArgumentException.class, () -> server.handshakeTimeout(Duration.ZERO)).getMessage());
    assertEquals("maxConcurrentHandshakes: 0 (expected: > 0)", assertThrows(
        IllegalArgumentException.class, () -> server.maxConcurrentHandshakes(0)).getMessage());
    assertEquals("retainedTicketKeys: -1 (expected: >= 0)", assertThrows(
        IllegalArgumentException.class, () -> server.retainedTicketKeys(-1)).getMessage());
    assertEquals("protocols: [TLSv1.1] (expected: one or both of [TLSv1.3, TLSv1.2])",
        assertThrows(IllegalArgumentException.class, () -> server.protocols("TLSv1.1"))
            .getMessage());
    assertTrue(assertThrows(IllegalStateException.class, server::build).getMessage()
        .startsWith("certificate: not set"));
    assertEquals("trustedCa: not set (expected: a value)", assertThrows(
        IllegalStateException.class, () -> ClientTlsConfig.builder().build()).getMessage());
    LifelineServer.Builder limits = LifelineServer.builder();
    assertEquals("maxConnections: 0 (expected: > 0)", assertThrows(
        IllegalArgumentException.class, () -> limits.maxConnections(0)).getMessage());
    assertEquals("maxConnectionsPerSource: 0 (expected: > 0)", assertThrows(
        IllegalArgumentException.class, () -> limits.maxConnectionsPerSource(0)).getMessage());
    assertEquals("maxHandshakesPerSource: -1 (expected: > 0)", assertThrows(
        IllegalArgumentException.class, () -> limits.maxHandshakesPerSource(-1)).getMessage());
    assertEquals("maxSessionsPerIdentity: 0 (expected: > 0)", assertThrows(
        IllegalArgumentException.class, () -> limits.maxSessionsPerIdentity(0)).getMessage());
  }

  @Test
  void defaultsAndValueSemantics() {
    ServerTlsConfig a = ServerTlsConfig.builder().developmentCertificates(Path.of("/d")).build();
    assertEquals(List.of("TLSv1.3", "TLSv1.2"), a.protocols());
    assertEquals(Duration.ofSeconds(10), a.handshakeTimeout());
    assertEquals(TlsProvider.AUTO, a.provider());
    assertEquals(new FileTicketKeyStore(Path.of("/d/ticket-keys")), a.ticketKeyStore());
    assertEquals(a, a.newBuilder().build());
    assertEquals(a.hashCode(), a.newBuilder().build().hashCode());
    assertNotEquals(a, a.newBuilder().protocols("TLSv1.3").build());
    assertTrue(a.toString().contains("developmentCertificates=/d"), a.toString());

    ClientTlsConfig c = ClientTlsConfig.builder().trustedCa(Path.of("/ca.pem")).build();
    assertEquals(Duration.ofHours(24), c.sessionTimeout());
    assertEquals(c, c.newBuilder().build());
    assertNotEquals(c, c.newBuilder().provider(TlsProvider.JDK).build());
  }

  @Test
  void statsCountPerSide() {
    HandshakeStats stats = new HandshakeStats();
    stats.handshakeCompleted(HandshakeEvent.success(HandshakeEvent.Side.CLIENT, true, "TLSv1.3",
        "TLS_AES_128_GCM_SHA256", "JDK", "127.0.0.1:1", 5));
    stats.handshakeCompleted(HandshakeEvent.failure(HandshakeEvent.Side.SERVER, "JDK",
        "127.0.0.1:2", 7, "timeout"));
    HandshakeStats.Snapshot s = stats.snapshot();
    assertEquals(1, s.resumed(HandshakeEvent.Side.CLIENT));
    assertEquals(0, s.full(HandshakeEvent.Side.CLIENT));
    assertEquals(1, s.failed(HandshakeEvent.Side.SERVER));
    assertEquals("HandshakeStats{client: full=0 resumed=1 failed=0, server: full=0 resumed=0"
        + " failed=1}", stats.toString());
  }
}
