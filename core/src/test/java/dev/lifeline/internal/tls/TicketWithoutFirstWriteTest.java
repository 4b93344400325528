package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerEventListener;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.TlsProvider;
import dev.lifeline.internal.http.HttpEndpoint;
import dev.lifeline.internal.http.ServerView;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A TLS 1.3 client that connects, completes the handshake and waits for the server without ever
 * writing (a connection pool warming up, a health check) still receives a session ticket, on the
 * HTTPS path of a {@link LifelineServer}, which never speaks first. Proven with the real {@code
 * openssl s_client}: the first run saves the ticket it received ({@code -sess_out}), the second
 * resumes with it ({@code -sess_in}, "Reused"). Without the flush after the handshake, BoringSSL
 * holds the tickets back until the server's first write, which never comes, and the first run
 * saves nothing. The server never closes first either: a closing server sends the queued tickets
 * with its close_notify (seen while writing this test), which would hide the fault; the client
 * ends each run by closing its stdin.
 */
class TicketWithoutFirstWriteTest {
  /** How long after the handshake a ticket may take to arrive; it takes a few ms. */
  private static final Duration TICKET_DEADLINE = Duration.ofSeconds(5);

  @TempDir
  Path dir;

  private final RecordingListener serverEvents = new RecordingListener();

  @BeforeEach
  void needsOpenSsl() {
    OpenSslCli.assumeInstalled();
  }

  /** Every provider, once without ALPN and once offering only {@code http/1.1}. */
  static Stream<Arguments> providersAndAlpn() {
    List<Arguments> all = new ArrayList<>();
    for (TlsProvider provider : TlsTestSupport.providers()) {
      all.add(Arguments.of(provider, "no ALPN"));
      all.add(Arguments.of(provider, "http/1.1"));
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("providersAndAlpn")
  void aClientThatNeverWritesGetsATicketItCanResumeWith(TlsProvider provider, String alpn)
      throws Exception {
    Path tlsDir = dir.resolve("tls");
    Path session = dir.resolve("s_client.session");
    List<String> alpnFlags = alpn.equals("no ALPN") ? List.of() : List.of("-alpn", alpn);
    try (LifelineServer server = LifelineServer.builder()
        .tls(TlsTestSupport.server(tlsDir, provider).build())
        .handshakeListener(serverEvents)
        .handler(new SilentHandler())
        .http(new SilentHttp())
        .start()) {
      List<String> first = sClientArguments(tlsDir, alpnFlags, "-sess_out", session.toString());
      Process quiet = OpenSslCli.startSClient(server.port(), first);
      try {
        Awaitility.await("s_client saved a session ticket")
            .atMost(TICKET_DEADLINE).pollInterval(Duration.ofMillis(20))
            .until(() -> Files.isRegularFile(session) && Files.size(session) > 0);
      } catch (ConditionTimeoutException e) {
        throw new AssertionError("no TLS 1.3 ticket reached a client that does not write, "
            + TICKET_DEADLINE.toMillis() + " ms after the handshake:\n"
            + OpenSslCli.stop(quiet), e);
      }
      OpenSslCli.Run firstRun = OpenSslCli.stop(quiet);
      assertTrue(firstRun.output.contains("New, TLSv1.3"), firstRun.toString());
      assertTrue(firstRun.output.contains("No ALPN negotiated")
          || firstRun.output.contains("ALPN protocol: http/1.1"), firstRun.toString());
      assertServerEvent(false);

      List<String> second = sClientArguments(tlsDir, alpnFlags, "-sess_in", session.toString());
      List<String> command = new ArrayList<>(List.of("s_client", "-connect",
          "127.0.0.1:" + server.port()));
      command.addAll(second);
      OpenSslCli.Run resumed = OpenSslCli.run(command); // stdin empty: ends after the handshake
      assertTrue(resumed.output.contains("Reused, TLSv1.3"), resumed.toString());
      assertServerEvent(true);
    }
  }

  /** s_client for TLS 1.3 with the development CA, no -ign_eof: it ends when its stdin ends. */
  private static List<String> sClientArguments(Path tlsDir, List<String> alpnFlags,
      String... more) {
    List<String> arguments = new ArrayList<>(List.of("-tls1_3", "-CAfile",
        tlsDir.resolve(DevelopmentCertificates.CA_CERT).toString(), "-verify_return_error",
        "-verify_ip", "127.0.0.1"));
    arguments.addAll(alpnFlags);
    arguments.addAll(List.of(more));
    return arguments;
  }

  private void assertServerEvent(boolean resumed) throws InterruptedException {
    HandshakeEvent event = serverEvents.take();
    assertTrue(event.succeeded(), event.toString());
    assertEquals(resumed, event.resumed(), event.toString());
    assertEquals("TLSv1.3", event.protocol(), event.toString());
  }

  /** The Lifeline side of the server; no test connection chooses it. */
  private static final class SilentHandler implements SessionHandler {
    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) {
    }
  }

  /**
   * An HTTP endpoint that waits for a request which never comes: it reads and drops, and never
   * writes, as an HTTP server does for a client that connected ahead of its first request.
   */
  private static final class SilentHttp implements HttpEndpoint {
    @Override
    public void serverStarted(ServerView server) {
    }

    @Override
    public void initHttpPipeline(ChannelPipeline pipeline) {
      pipeline.addLast("silent-http", new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
          ReferenceCountUtil.release(msg);
        }
      });
    }

    @Override
    public HandshakeListener handshakeListener() {
      return event -> { };
    }

    @Override
    public ServerEventListener events() {
      return new ServerEventListener() { };
    }

    @Override
    public void serverStopped() {
    }
  }
}
