package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.TlsConfigurationException;
import dev.lifeline.TlsProvider;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS over loopback: the key-exchange group both sides report follows
 * {@code keyExchangeGroups}, a client and server without a common group fail the handshake, and
 * the JDK provider refuses a list it cannot apply.
 */
class KeyExchangeGroupsTest {
  private static EventLoopGroup group;

  @TempDir
  Path tlsDir;

  private final RecordingListener serverEvents = new RecordingListener();
  private final RecordingListener clientEvents = new RecordingListener();

  @BeforeAll
  static void startGroup() {
    group = TlsTestSupport.newGroup();
  }

  @AfterAll
  static void stopGroup() {
    group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @BeforeEach
  void needOpenSsl() {
    assumeTrue(TlsProviders.openSslUsable(), "the OpenSSL provider reports the negotiated group");
  }

  @Test
  void defaultIsThePostQuantumHybridForFullAndResumedTls13() throws Exception {
    try (ServerTls server = newServer(serverConfig().build());
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = newClient(clientConfig("TLSv1.3").build())) {
      expectGroup(client, listener.port(), "X25519MLKEM768", false);
      expectGroup(client, listener.port(), "X25519MLKEM768", true);
    }
  }

  @Test
  void x25519OnBothSidesIsUsedForFullAndResumedHandshakes() throws Exception {
    try (ServerTls server = newServer(serverConfig().keyExchangeGroups("x25519").build());
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = newClient(clientConfig("TLSv1.3").keyExchangeGroups("X25519").build())) {
      expectGroup(client, listener.port(), "x25519", false);
      expectGroup(client, listener.port(), "x25519", true);
    }
  }

  @Test
  void theServersListDecidesAmongWhatTheClientOffers() throws Exception {
    try (ServerTls server = newServer(serverConfig().keyExchangeGroups("secp384r1").build());
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = newClient(clientConfig("TLSv1.3").build())) {
      // The default client offers P-384 last; the server asks for it (HelloRetryRequest).
      expectGroup(client, listener.port(), "secp384r1", false);
    }
    try (ServerTls server = newServer(serverConfig().keyExchangeGroups("secp256r1").build());
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = newClient(clientConfig("TLSv1.2").build())) {
      expectGroup(client, listener.port(), "secp256r1", false);
    }
  }

  @Test
  void noCommonGroupFailsTheHandshakeOnBothSides() throws Exception {
    ServerTlsConfig postQuantumOnly = serverConfig().protocols("TLSv1.3")
        .keyExchangeGroups("X25519MLKEM768").build();
    try (ServerTls server = newServer(postQuantumOnly);
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = newClient(clientConfig("TLSv1.3").keyExchangeGroups("x25519").build())) {
      Exception e = assertThrows(Exception.class, () -> TlsTestClient.connectOnce(
          client, group, "localhost", "127.0.0.1", listener.port()));
      HandshakeEvent serverEvent = serverEvents.take();
      HandshakeEvent clientEvent = clientEvents.take();
      assertFalse(serverEvent.succeeded(), serverEvent.toString());
      assertFalse(clientEvent.succeeded(), clientEvent.toString());
      String serverReason = serverEvent.failureMessage().orElseThrow();
      assertTrue(serverReason.contains("NO_SHARED_GROUP"), serverReason);
      String clientReason = clientEvent.failureMessage().orElseThrow();
      assertTrue(clientReason.contains("HANDSHAKE_FAILURE"), clientReason + " / " + e);
    }
  }

  @Test
  void everyAcceptedNameIsOneBoringSslKnows() {
    for (String name : KeyExchangeGroups.known()) {
      ServerTlsConfig.Builder config = serverConfig().protocols("TLSv1.3").keyExchangeGroups(name);
      try (ServerTls server = newServer(config.build())) {
        assertTrue(server.providerName().startsWith("OpenSSL"), server.providerName());
      } catch (Exception e) {
        throw new AssertionError(name + ": " + e, e);
      }
    }
  }

  @Test
  void jdkProviderBeforeJava20RefusesAListItCannotApply() throws Exception {
    assumeTrue(Runtime.version().feature() < 20, "Java 20+ sets the groups per connection");
    assumeTrue(System.getProperty("jdk.tls.namedGroups") == null, "no JVM-wide setting here");
    TlsConfigurationException server = assertThrows(TlsConfigurationException.class,
        () -> newServer(TlsTestSupport.server(tlsDir, TlsProvider.JDK)
            .keyExchangeGroups("x25519").build()));
    assertEquals("keyExchangeGroups [x25519]: the JDK TLS provider of Java "
        + Runtime.version().feature() + " cannot limit key-exchange groups per connection (Java 20"
        + " and later can); use the OpenSSL provider, or start the JVM with"
        + " -Djdk.tls.namedGroups=x25519 (JVM-wide)", server.getMessage());
    TlsConfigurationException client = assertThrows(TlsConfigurationException.class,
        () -> newClient(TlsTestSupport.client(tlsDir, TlsProvider.JDK, "TLSv1.3").newBuilder()
            .keyExchangeGroups("secp256r1", "x25519").build()));
    assertTrue(client.getMessage().contains("-Djdk.tls.namedGroups=secp256r1,x25519"),
        client.getMessage());
    // Without a list the JDK provider works as before.
    newServer(TlsTestSupport.server(tlsDir, TlsProvider.JDK).build()).close();
  }

  @Test
  void jdkProviderFromJava20AppliesTheListPerConnection() throws Exception {
    assumeTrue(Runtime.version().feature() >= 20, "SSLParameters.setNamedGroups is Java 20+");
    try (ServerTls server = newServer(TlsTestSupport.server(tlsDir, TlsProvider.JDK)
            .keyExchangeGroups("secp256r1").build());
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = newClient(clientConfig("TLSv1.3").build())) {
      // The OpenSSL client offers x25519 before P-256; only the JDK server's list makes it P-256.
      TlsTestClient.connectOnce(client, group, "localhost", "127.0.0.1", listener.port());
      assertEquals(Optional.of("secp256r1"), clientEvents.take().keyExchangeGroup());
      assertTrue(serverEvents.take().succeeded());
    }
    assertThrows(TlsConfigurationException.class, () -> newServer(
        TlsTestSupport.server(tlsDir, TlsProvider.JDK).protocols("TLSv1.3")
            .keyExchangeGroups("X25519MLKEM768").build()).close(),
        "JDK 25 has no ML-KEM group: refused at start");
  }

  @Test
  void jdkClientWithDefaultsMeetsALimitedOpenSslServer() throws Exception {
    try (ServerTls server = newServer(serverConfig().keyExchangeGroups("secp256r1").build());
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = newClient(TlsTestSupport.client(tlsDir, TlsProvider.JDK, "TLSv1.3"))) {
      TlsTestClient.connectOnce(client, group, "localhost", "127.0.0.1", listener.port());
      assertEquals(Optional.of("secp256r1"), serverEvents.take().keyExchangeGroup());
      HandshakeEvent clientEvent = clientEvents.take();
      assertTrue(clientEvent.succeeded(), clientEvent.toString());
      assertEquals(Optional.of("secp256r1"), clientEvent.keyExchangeGroup(),
          "the JDK engine does not tell; read from the ServerHello's key_share: " + clientEvent);
    }
  }

  @Test
  void aJdkServerReportsTheTls13GroupFromItsServerHelloAndNoneForTls12() throws Exception {
    try (ServerTls server = newServer(TlsTestSupport.server(tlsDir, TlsProvider.JDK).build());
        TlsTestServer listener = new TlsTestServer(server, group, 0, false)) {
      try (ClientTls client = newClient(clientConfig("TLSv1.3").keyExchangeGroups("secp384r1",
          "x25519").build())) {
        // Java 17's JDK has no ML-KEM: it takes the OpenSSL client's first group it knows.
        expectGroup(client, listener.port(), "secp384r1", false);
      }
      try (ClientTls client = newClient(clientConfig("TLSv1.2").build())) {
        TlsTestClient.connectOnce(client, group, "localhost", "127.0.0.1", listener.port());
        assertEquals(Optional.of("x25519"), clientEvents.take().keyExchangeGroup());
        HandshakeEvent serverEvent = serverEvents.take();
        assertTrue(serverEvent.succeeded(), serverEvent.toString());
        assertEquals(Optional.empty(), serverEvent.keyExchangeGroup(),
            "a JDK TLS 1.2 handshake's group is in ServerKeyExchange, not read: " + serverEvent);
      }
    }
  }

  private void expectGroup(ClientTls client, int port, String expected, boolean resumed)
      throws Exception {
    TlsTestClient.Result result =
        TlsTestClient.connectOnce(client, group, "localhost", "127.0.0.1", port);
    assertEquals(TlsTestServer.GREETING, result.greeting);
    for (HandshakeEvent event : new HandshakeEvent[] {clientEvents.take(), serverEvents.take()}) {
      assertTrue(event.succeeded(), event.toString());
      assertEquals(resumed, event.resumed(), event.toString());
      assertEquals(Optional.of(expected), event.keyExchangeGroup(), event.toString());
    }
  }

  private ServerTlsConfig.Builder serverConfig() {
    return TlsTestSupport.server(tlsDir, TlsProvider.OPENSSL);
  }

  private ClientTlsConfig.Builder clientConfig(String protocol) {
    return TlsTestSupport.client(tlsDir, TlsProvider.OPENSSL, protocol).newBuilder();
  }

  private ServerTls newServer(ServerTlsConfig config) throws Exception {
    return ServerTls.create(config, serverEvents, Clock.systemUTC(), false);
  }

  private ClientTls newClient(ClientTlsConfig config) throws Exception {
    return ClientTls.create(config, clientEvents);
  }
}
