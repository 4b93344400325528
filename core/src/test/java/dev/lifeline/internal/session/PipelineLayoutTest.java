package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.lifeline.Authenticator;
import dev.lifeline.ClientTlsConfig;
import dev.lifeline.HandshakeListener;
import dev.lifeline.ServerEventListener;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.TlsProvider;
import dev.lifeline.internal.http.HttpEndpoint;
import dev.lifeline.internal.http.ServerView;
import dev.lifeline.internal.tls.ClientTls;
import dev.lifeline.internal.tls.ServerTls;
import dev.lifeline.store.InMemoryCheckpointStore;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order of each side's stages, as {@link ServerPipeline} and {@link ClientPipeline} build
 * them (JDK provider: it has the wire observer and no ticket stage). A stage moved or renamed
 * here changes what the HTTP switch removes and what fault injection cuts, so the layout is
 * pinned by name.
 */
class PipelineLayoutTest {
  private static final Duration IDLE = Duration.ofSeconds(30);

  // Shared by the tests: the development certificates are made once, on first use.
  @TempDir
  static Path tlsDir;

  private ScheduledExecutorService timer;
  private ServerTls serverTls;
  private ClientTls clientTls;
  private EmbeddedChannel ch;

  @BeforeEach
  void setUp() throws Exception {
    timer = Executors.newSingleThreadScheduledExecutor();
    serverTls = ServerTls.create(ServerTlsConfig.builder().developmentCertificates(tlsDir)
        .provider(TlsProvider.JDK).build(), HandshakeListener.NONE, true);
  }

  @AfterEach
  void tearDown() {
    if (ch != null) {
      ch.finishAndReleaseAll();
    }
    serverTls.close();
    if (clientTls != null) {
      clientTls.close();
    }
    timer.shutdownNow();
  }

  @Test
  void lifelineStagesAreAddedInTheOrderTheHttpSwitchRemoves() {
    ch = new EmbeddedChannel();
    SessionPipeline.addLifelineStages(ch.pipeline(), IDLE, new ChannelInboundHandlerAdapter());
    assertEquals(SessionPipeline.LIFELINE_STAGES, stages(ch));
  }

  @Test
  void serverWithoutHttpHasTlsThenLifelineStages() {
    ch = new EmbeddedChannel(serverPipeline(gate(10), null));
    assertEquals(List.of("lifeline-tls-wire", "lifeline-tls", "lifeline-tls-limiter",
        "lifeline-tls-classifier", "idle", "decoder", "encoder", "session"),
        stages(ch));
  }

  @Test
  void serverWithHttpChoosesTheProtocolRightBehindTls() {
    ch = new EmbeddedChannel(serverPipeline(gate(10), new NoHttp()));
    assertEquals(List.of("lifeline-tls-wire", "lifeline-tls", "lifeline-tls-limiter",
        "lifeline-tls-classifier", ServerPipeline.PROTOCOL, "idle", "decoder", "encoder",
        "session"), stages(ch));
  }

  @Test
  void serverConnectionRefusedAtAcceptGetsNoStages() {
    ConnectionGate full = gate(1);
    EmbeddedChannel admitted = new EmbeddedChannel(serverPipeline(full, null));
    try {
      ch = new EmbeddedChannel(serverPipeline(full, null));
      assertEquals(List.of(), stages(ch));
      assertFalse(ch.isOpen());
    } finally {
      admitted.finishAndReleaseAll();
    }
  }

  @Test
  void clientHasFaultsInFrontOfTls() throws Exception {
    ChannelHandler fault = new ChannelInboundHandlerAdapter();
    ch = new EmbeddedChannel();
    clientPipeline(() -> fault).init(ch.pipeline(), new ChannelInboundHandlerAdapter());
    assertEquals(List.of(ClientPipeline.FAULTS, "lifeline-tls-wire", "lifeline-tls",
        "lifeline-tls-classifier", "idle", "decoder", "encoder", "session"),
        stages(ch));
  }

  @Test
  void clientWithoutFaultsStartsWithTls() throws Exception {
    ch = new EmbeddedChannel();
    clientPipeline(() -> null).init(ch.pipeline(), new ChannelInboundHandlerAdapter());
    assertEquals(List.of("lifeline-tls-wire", "lifeline-tls", "lifeline-tls-classifier", "idle",
        "decoder", "encoder", "session"), stages(ch));
  }

  /** The stages' names, front to back (without the pipeline's own head and tail). */
  private static List<String> stages(EmbeddedChannel channel) {
    return List.copyOf(channel.pipeline().toMap().keySet());
  }

  private ClientPipeline clientPipeline(java.util.function.Supplier<ChannelHandler> faults)
      throws Exception {
    clientTls = ClientTls.create(ClientTlsConfig.builder()
        .trustedCa(tlsDir.resolve("ca.pem")).provider(TlsProvider.JDK).build(),
        HandshakeListener.NONE);
    return new ClientPipeline(clientTls, "localhost", 7443, IDLE, faults);
  }

  private ServerPipeline serverPipeline(ConnectionGate gate, HttpEndpoint http) {
    RefusalLimiter limiter = new RefusalLimiter(20, 2, System::nanoTime);
    ServerSessions sessions = new ServerSessions(InMemoryCheckpointStore.builder().build(),
        new SessionConfig(1024, 64 * 1024, 1024, Runnable::run, timer),
        (session, seq, message) -> { }, new ResumeTokens(new SecureRandom()), Clock.systemUTC(),
        10, limiter, Authenticator.DEFAULT, ServerEventListener.NONE);
    return new ServerPipeline(gate, serverTls, http, sessions, IDLE, 4096, "test");
  }

  private static ConnectionGate gate(int maxConnections) {
    return new ConnectionGate(maxConnections, 10, 10,
        new RefusalLimiter(20, 2, System::nanoTime));
  }

  /** An HTTP service no connection of these tests reaches. */
  private static final class NoHttp implements HttpEndpoint {
    @Override
    public void serverStarted(ServerView server) {
    }

    @Override
    public void initHttpPipeline(ChannelPipeline pipeline) {
    }

    @Override
    public HandshakeListener handshakeListener() {
      return HandshakeListener.NONE;
    }

    @Override
    public ServerEventListener events() {
      return ServerEventListener.NONE;
    }

    @Override
    public void serverStopped() {
    }
  }
}
