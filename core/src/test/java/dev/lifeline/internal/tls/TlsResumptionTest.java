package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lifeline.FileTicketKeyStore;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeStats;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.TlsProvider;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real TLS over loopback, for every available provider: second connections resume, retained
 * rotated keys still decrypt, dropped keys do not, and a restarted server with the same key store
 * resumes. Every handshake is checked from both sides and against the bytes on the wire.
 */
class TlsResumptionTest {
  private static EventLoopGroup group;

  @TempDir
  Path tlsDir;

  private final RecordingListener serverEvents = new RecordingListener();
  private final RecordingListener clientEvents = new RecordingListener();
  private final HandshakeStats stats = new HandshakeStats();

  @BeforeAll
  static void startGroup() {
    group = TlsTestSupport.newGroup();
  }

  @AfterAll
  static void stopGroup() {
    group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  @ParameterizedTest(name = "server {0}, client {1}, {2}")
  @MethodSource("dev.lifeline.internal.tls.TlsTestSupport#serverClientProtocol")
  void secondConnectionResumes(TlsProvider serverProvider, TlsProvider clientProvider,
      String protocol) throws Exception {
    try (ServerTls server = newServer(TlsTestSupport.server(tlsDir, serverProvider).build());
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = newClient(clientProvider, protocol)) {
      connectAndExpect(client, listener.port(), protocol, false);
      connectAndExpect(client, listener.port(), protocol, true);
      connectAndExpect(client, listener.port(), protocol, true);

      HandshakeStats.Snapshot counted = stats.snapshot();
      for (HandshakeEvent.Side side : HandshakeEvent.Side.values()) {
        assertEquals(1, counted.full(side), side + " full: " + counted);
        assertEquals(2, counted.resumed(side), side + " resumed: " + counted);
        assertEquals(0, counted.failed(side), side + " failed: " + counted);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("dev.lifeline.internal.tls.TlsTestSupport#providersAndProtocols")
  void ticketUnderRetainedKeyResumesAndUnderDroppedKeyDoesNot(TlsProvider provider,
      String protocol) throws Exception {
    assumeTrue(provider == TlsProvider.OPENSSL,
        "only the OpenSSL provider uses Lifeline's ticket key ring (see docs/tls.md)");
    ServerTlsConfig config = TlsTestSupport.server(tlsDir, provider).retainedTicketKeys(1)
        .sessionCacheSize(1) // keep TLS 1.2 from resuming by session id: tickets are under test
        .build();
    try (ServerTls server = newServer(config);
        TlsTestServer listener = new TlsTestServer(server, group, 0, false)) {
      try (ClientTls client = newClient(provider, protocol)) {
        connectAndExpect(client, listener.port(), protocol, false);
        server.rotateTicketKeys(); // the client's ticket is now under the retained older key
        connectAndExpect(client, listener.port(), protocol, true);
      }
      try (ClientTls client = newClient(provider, protocol)) {
        connectAndExpect(client, listener.port(), protocol, false);
        server.rotateTicketKeys();
        server.rotateTicketKeys(); // retained 1: the key of the client's ticket left the ring
        assertEquals(2, server.ticketKeys().size());
        flushServerSessionCache(server, listener, protocol);
        connectAndExpect(client, listener.port(), protocol, false);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("dev.lifeline.internal.tls.TlsTestSupport#providersAndProtocols")
  void restartWithSameKeyStoreResumesWithOpenSslOnly(TlsProvider provider, String protocol)
      throws Exception {
    ServerTlsConfig config = TlsTestSupport.server(tlsDir, provider)
        .ticketKeyStore(new FileTicketKeyStore(tlsDir.resolve("ticket-keys"))).build();
    int port;
    try (ClientTls client = newClient(provider, protocol)) {
      try (ServerTls server = newServer(config);
          TlsTestServer listener = new TlsTestServer(server, group, 0, false)) {
        port = listener.port();
        connectAndExpect(client, port, protocol, false);
      }
      try (ServerTls restarted = newServer(config);
          TlsTestServer listener = new TlsTestServer(restarted, group, port, false)) {
        // The JDK provider keeps its ticket keys in memory: a restart costs one full handshake.
        connectAndExpect(client, port, protocol, provider == TlsProvider.OPENSSL);
      }
    }
  }

  /** Fills the one-entry TLS 1.2 session-id cache with another client's session. */
  private void flushServerSessionCache(ServerTls server, TlsTestServer listener, String protocol)
      throws Exception {
    try (ClientTls other = newClient(TlsProvider.OPENSSL, protocol)) {
      connectAndExpect(other, listener.port(), protocol, false);
    }
  }

  private ServerTls newServer(ServerTlsConfig config) throws Exception {
    return ServerTls.create(config, serverEvents.andThen(stats), Clock.systemUTC(), false);
  }

  private ClientTls newClient(TlsProvider provider, String protocol) throws Exception {
    return ClientTls.create(TlsTestSupport.client(tlsDir, provider, protocol),
        clientEvents.andThen(stats));
  }

  private void connectAndExpect(ClientTls client, int port, String protocol, boolean resumed)
      throws Exception {
    TlsTestClient.Result result =
        TlsTestClient.connectOnce(client, group, "localhost", "127.0.0.1", port);
    assertEquals(TlsTestServer.GREETING, result.greeting);
    HandshakeEvent clientEvent = clientEvents.take();
    HandshakeEvent serverEvent = serverEvents.take();
    String what = (resumed ? "resumed" : "full") + " expected; client " + clientEvent
        + ", server " + serverEvent;
    assertTrue(clientEvent.succeeded() && serverEvent.succeeded(), what);
    assertEquals(HandshakeEvent.Side.CLIENT, clientEvent.side());
    assertEquals(HandshakeEvent.Side.SERVER, serverEvent.side());
    assertEquals(protocol, clientEvent.protocol(), what);
    assertEquals(protocol, serverEvent.protocol(), what);
    assertEquals(resumed, clientEvent.resumed(), what);
    assertEquals(resumed, serverEvent.resumed(), what);
    assertEquals(resumed, result.wireResumed, "wire observer disagrees: " + what);
    assertTrue(clientEvent.durationNanos() > 0 && serverEvent.durationNanos() > 0, what);
    assertFalse(serverEvent.peer().isEmpty());
  }
}
