package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.HandshakeEvent;
import dev.lifeline.TlsProvider;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server against the real {@code openssl s_client}: it resumes a saved session ({@code
 * -sess_out}, then {@code -sess_in}) on TLS 1.3 and 1.2, and it refuses TLS 1.1.
 */
class OpenSslClientInteropTest {
  private static EventLoopGroup group;

  @TempDir
  Path tlsDir;

  private final RecordingListener serverEvents = new RecordingListener();

  @BeforeAll
  static void startGroup() {
    group = TlsTestSupport.newGroup();
  }

  @AfterAll
  static void stopGroup() {
    group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  @BeforeEach
  void needsOpenSsl() {
    OpenSslCli.assumeInstalled();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("dev.lifeline.internal.tls.TlsTestSupport#providersAndProtocols")
  void sClientReusesSavedSession(TlsProvider provider, String protocol) throws Exception {
    String versionFlag = protocol.equals("TLSv1.3") ? "-tls1_3" : "-tls1_2";
    String session = tlsDir.resolve("s_client.session").toString();
    try (ServerTls server = ServerTls.create(TlsTestSupport.server(tlsDir, provider).build(),
            serverEvents, Clock.systemUTC(), false);
        TlsTestServer listener = new TlsTestServer(server, group, 0, true)) {
      OpenSslCli.Run first = sClient(listener.port(), versionFlag, "-sess_out", session);
      assertTrue(first.output.contains("New, " + protocol), first.toString());
      assertTrue(first.output.contains("ALPN protocol: " + TlsConstants.ALPN_PROTOCOL), first.toString());
      assertTrue(first.output.contains(TlsTestServer.GREETING.trim()), first.toString());
      assertServerEvent(false, protocol);

      OpenSslCli.Run second = sClient(listener.port(), versionFlag, "-sess_in", session);
      assertTrue(second.output.contains("Reused, " + protocol), second.toString());
      assertServerEvent(true, protocol);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.lifeline.internal.tls.TlsTestSupport#providers")
  void tls11IsRefused(TlsProvider provider) throws Exception {
    try (ServerTls server = ServerTls.create(TlsTestSupport.server(tlsDir, provider).build(),
            serverEvents, Clock.systemUTC(), false);
        TlsTestServer listener = new TlsTestServer(server, group, 0, true)) {
      // SECLEVEL=0 lets this openssl offer TLS 1.1 at all, so the refusal comes from our server.
      OpenSslCli.Run tls11 = sClient(listener.port(), "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
      assertNotEquals(0, tls11.exitCode, tls11.toString());
      assertFalse(tls11.output.contains("no protocols available"), tls11.toString());
      assertTrue(tls11.output.contains("protocol version")
          || tls11.output.contains("unsupported protocol"), tls11.toString());
      HandshakeEvent refused = serverEvents.take();
      assertFalse(refused.succeeded(), refused.toString());

      // Control: the same client, allowed TLS 1.2, gets through, so the refusal above is real.
      OpenSslCli.Run tls12 = sClient(listener.port(), "-tls1_2", "-cipher", "DEFAULT@SECLEVEL=0");
      assertTrue(tls12.output.contains("New, TLSv1.2"), tls12.toString());
    }
  }

  private OpenSslCli.Run sClient(int port, String... arguments) throws Exception {
    String[] all = new String[arguments.length + 7];
    System.arraycopy(arguments, 0, all, 0, arguments.length);
    System.arraycopy(new String[] {"-CAfile", tlsDir.resolve(DevelopmentCertificates.CA_CERT)
        .toString(), "-verify_return_error", "-verify_ip", "127.0.0.1", "-alpn",
        TlsConstants.ALPN_PROTOCOL}, 0, all, arguments.length, 7);
    return OpenSslCli.sClient(port, all);
  }

  private void assertServerEvent(boolean resumed, String protocol) throws InterruptedException {
    HandshakeEvent event = serverEvents.take();
    assertTrue(event.succeeded(), event.toString());
    assertEquals(resumed, event.resumed(), event.toString());
    assertEquals(protocol, event.protocol(), event.toString());
  }
}
