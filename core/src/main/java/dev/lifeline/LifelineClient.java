package dev.lifeline;

import dev.lifeline.internal.faults.FaultHook;
import dev.lifeline.internal.faults.FaultStage;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.session.ClientPipeline;
import dev.lifeline.internal.session.ClientSessions;
import dev.lifeline.internal.session.ReplayGrowth;
import dev.lifeline.internal.session.SessionConfig;
import dev.lifeline.internal.tls.ClientTls;
import dev.lifeline.internal.transport.Transports;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.store.SessionRecord;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A Lifeline client for one server. Sessions it opens survive broken connections: it reconnects
 * with exponential backoff and jitter, resumes TLS with a session ticket, resumes the session,
 * and replays what the server lacks. With a persistent {@link CheckpointStore} a session also
 * survives this process: a new process opening the same resume key continues it.
 *
 * <p>One client keeps one TLS context per server, so its connections reuse TLS sessions. Create
 * one client and share it.
 *
 * <pre>{@code
 * try (LifelineClient client = LifelineClient.builder()
 *     .server("localhost", 7443)
 *     .tls(ClientTlsConfig.builder().trustedCa(Path.of("ca.pem")).build())
 *     .build()) {
 *   Session session = client.open("job-42", handler).get();
 *   session.send(payload).get();
 *   session.close(Duration.ofSeconds(10)).get();
 * }
 * }</pre>
 */
public final class LifelineClient implements AutoCloseable {

  private final ClientTls tls;
  private final EventLoopGroup group;
  private final ExecutorService appExecutor;
  private final ScheduledExecutorService timer;
  private final ClientSessions sessions;
  /** Fault injection installed by lifeline-testing (see {@link FaultHook}); null in production. */
  private final FaultStage chaos;

  static {
    FaultHook.register((builder, stage) -> builder.chaos = stage);
  }

  private LifelineClient(Builder b) throws IOException {
    this.chaos = b.chaos;
    this.tls = ClientTls.create(b.tls, b.handshakeListener);
    this.group = Transports.newGroup(b.ioThreads, "lifeline-client-io");
    this.appExecutor = Executors.newFixedThreadPool(b.appThreads,
        LifelineServer.daemon("lifeline-client-app"));
    this.timer = Executors.newSingleThreadScheduledExecutor(
        LifelineServer.daemon("lifeline-client-timer"));
    Bootstrap base = new Bootstrap()
        .group(group)
        .channel(Transports.clientChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.RCVBUF_ALLOCATOR, Transports.reads())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, b.connectTimeout.toMillis()));
    SessionConfig sc = new SessionConfig(b.maxMessageSize, b.replayBufferBytes,
        b.inboundQueueBytes, appExecutor, timer, b.autoAcknowledge, b.durableOutbox,
        ReplayGrowth.configured(b.replayBufferBytes, b.maxReplayBufferBytes,
            b.replayBufferBudgetBytes));
    int maxFrame = FrameDescriptor.dataFrameLength(b.maxMessageSize);
    ClientPipeline pipeline = new ClientPipeline(tls, b.host, b.port, b.idleTimeout,
        chaos == null ? () -> null : chaos::newHandlerOrNull);
    this.sessions = new ClientSessions(b.store, sc, base, pipeline, b.host, b.port,
        b.initialBackoff, b.maxBackoff, b.reconnectDeadline, b.credentials, maxFrame,
        b.maxConcurrentConnects);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the session stored under {@code resumeKey}, or a new one if there is none: a re-run of
   * the same job with the same persistent store continues where the last process stopped.
   *
   * @param resumeKey the application's name for this job, 1 to 128 printable ASCII characters
   * @return completes when the session is established, or fails with {@link
   *     SessionRefusedException} (e.g. the server no longer knows the session: it is not
   *     started over, see {@link #openNew}) or a {@link
   *     LifelineException} when the server cannot be reached before the reconnect deadline
   */
  public CompletableFuture<Session> open(String resumeKey, SessionHandler handler) {
    SessionRecord.validateId(resumeKey);
    Objects.requireNonNull(handler, "handler");
    return sessions.open(resumeKey, handler);
  }

  /**
   * Starts a new session under {@code resumeKey}, forgetting the one stored there: the explicit
   * choice after {@link #open} failed with a {@link SessionRefusedException} because the server
   * would not resume it (it expired, or this client's state was an older copy). {@link #open}
   * never starts over by itself, because the work of the refused session may be partly done on
   * the server.
   *
   * <p>With a {@linkplain Builder#durableOutbox durable outbox} nothing is lost or stored twice:
   * the messages the old session had not seen acknowledged are sent first in the new one, and
   * the server drops those it had already stored (the outbox's producer identity, as Kafka's
   * idempotent producer); {@link Session#handedOver()} goes on from where it was. Without one,
   * the new session starts from nothing and the application decides what to send again.
   *
   * <pre>{@code
   * Session session;
   * try {
   *   session = client.open("telemetry", handler).get();
   * } catch (ExecutionException e) {
   *   if (!(e.getCause() instanceof SessionRefusedException)) {
   *     throw e;
   *   }
   *   session = client.openNew("telemetry", handler).get(); // decided: start a new session
   * }
   * }</pre>
   */
  public CompletableFuture<Session> openNew(String resumeKey, SessionHandler handler) {
    SessionRecord.validateId(resumeKey);
    Objects.requireNonNull(handler, "handler");
    return sessions.openNew(resumeKey, handler);
  }

  /** The TLS provider in use: "OpenSSL (BoringSSL)" or "JDK". */
  public String tlsProvider() {
    return tls.providerName();
  }

  /**
   * Drops every connection and stops. Open sessions are not ended: their records stay in the
   * store, so a later client can resume them. Does not close the store.
   */
  @Override
  public void close() {
    sessions.abortAll();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    timer.shutdownNow();
    sessions.connectionLog().report();
    appExecutor.shutdown();
    tls.close();
  }

  /** Configures a {@link LifelineClient}. Only {@link #server} and {@link #tls} are required. */
  public static final class Builder {
    private String host;
    private int port;
    private ClientTlsConfig tls;
    private CheckpointStore store;
    private HandshakeListener handshakeListener = e -> { };
    private Duration idleTimeout = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(5);
    private Duration reconnectDeadline = Duration.ofMinutes(5);
    private byte[] credentials = new byte[0];
    private int maxMessageSize = 1024 * 1024;
    private long replayBufferBytes = 32L * 1024 * 1024;
    private long maxReplayBufferBytes = -1; // unset: max(replayBufferBytes, 256 MiB)
    private long replayBufferBudgetBytes = 1L << 30;
    private long inboundQueueBytes = 8L * 1024 * 1024;
    private boolean autoAcknowledge = true;
    private boolean durableOutbox;
    private int ioThreads = 1;
    private int appThreads = 4;
    private int maxConcurrentConnects = 64;
    private FaultStage chaos;

    private Builder() {}

    public Builder server(String host, int port) {
      this.host = Objects.requireNonNull(host, "host");
      this.port = ConfigChecks.inRange("port", port, 1, 65535);
      return this;
    }

    public Builder tls(ClientTlsConfig tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /** Where this client keeps its sessions; default in memory (lost with the process). */
    public Builder store(CheckpointStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    public Builder handshakeListener(HandshakeListener listener) {
      this.handshakeListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** A connection that delivers nothing for this long is dropped and resumed; default 30s. */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = ConfigChecks.positive("idleTimeout", idleTimeout);
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = ConfigChecks.positive("connectTimeout", connectTimeout);
      return this;
    }

    /**
     * Reconnect pacing: the n-th retry waits a random time in [d/2, d] with {@code d = min(max,
     * initial * 2^n)}; after {@code deadline} without a connection the session fails.
     */
    public Builder reconnect(Duration initial, Duration max, Duration deadline) {
      this.initialBackoff = ConfigChecks.positive("initial", initial);
      this.maxBackoff = ConfigChecks.positive("max", max);
      this.reconnectDeadline = ConfigChecks.positive("deadline", deadline);
      return this;
    }

    /** Sent with OPEN and RESUME for the server's {@link Authenticator}; at most 4 KiB. */
    public Builder credentials(byte[] credentials) {
      if (credentials.length > FrameDescriptor.MAX_CREDENTIALS_BYTES) {
        throw new IllegalArgumentException("credentials: " + credentials.length
            + " bytes (expected: <= " + FrameDescriptor.MAX_CREDENTIALS_BYTES + ")");
      }
      this.credentials = credentials.clone();
      return this;
    }

    /** The largest message this client sends and receives; default 1 MiB. */
    public Builder maxMessageSize(int maxMessageSize) {
      this.maxMessageSize = ConfigChecks.inRange(
          "maxMessageSize", maxMessageSize, 1, ConfigChecks.MAX_MESSAGE_SIZE);
      return this;
    }

    /** Unacknowledged bytes each session may hold before senders wait; default 32 MiB. */
    public Builder replayBufferBytes(long replayBufferBytes) {
      this.replayBufferBytes = ConfigChecks.atLeast("replayBufferBytes", replayBufferBytes, 1);
      return this;
    }

    /**
     * How far one session's replay buffer may grow past {@link #replayBufferBytes} when the
     * path's bandwidth-delay product needs it; default the larger of {@code replayBufferBytes}
     * and 256 MiB; {@code replayBufferBytes} itself turns growth off. The buffer grows while the
     * window is what holds the sender back and a bigger one delivers faster, and shrinks back
     * once idle (docs/protocol.md "Keeping a long pipe full").
     */
    public Builder maxReplayBufferBytes(long maxReplayBufferBytes) {
      this.maxReplayBufferBytes = ConfigChecks.atLeast("maxReplayBufferBytes",
          maxReplayBufferBytes, 1);
      return this;
    }

    /**
     * What the growth of all sessions' replay buffers past {@link #replayBufferBytes} may add up
     * to; default 1 GiB. The endpoint's worst case is then sessions x {@code replayBufferBytes}
     * plus this, however many sessions run on long fat paths at once; 0 turns growth off.
     */
    public Builder replayBufferBudgetBytes(long replayBufferBudgetBytes) {
      this.replayBufferBudgetBytes = ConfigChecks.atLeast("replayBufferBudgetBytes",
          replayBufferBudgetBytes, 0);
      return this;
    }

    /**
     * Memory of received messages waiting for the handler before reading pauses; default 8 MiB.
     * Counted as the read buffers the messages keep alive (a message is a slice of the buffer its
     * socket read went into, up to 1 MiB), not as their payload, so that small messages cannot
     * hold more than this. Reading resumes below half of it.
     */
    public Builder inboundQueueBytes(long inboundQueueBytes) {
      this.inboundQueueBytes = ConfigChecks.atLeast("inboundQueueBytes", inboundQueueBytes, 1);
      return this;
    }

    /**
     * Connection attempts (connect, TLS handshake, open or resume) this client runs at once;
     * default 64. When more of its sessions need a connection at the same moment (every one of
     * them after its link failed), the rest wait their turn, so the server is not handed more
     * handshakes than it answers before their timeouts, and each attempt's handshake timeout
     * starts when the attempt does.
     */
    public Builder maxConcurrentConnects(int maxConcurrentConnects) {
      this.maxConcurrentConnects =
          ConfigChecks.positive("maxConcurrentConnects", maxConcurrentConnects);
      return this;
    }

    /**
     * The acknowledgement mode of every session of this client: {@code true} (the default)
     * acknowledges a received message once its handler returned, unless the handler's {@link
     * SessionHandler#autoAcknowledge} says otherwise; {@code false} makes every session a durable
     * receiver, acknowledging only through {@link Session#checkpoint} (see {@code
     * DurableReceiver}). Being configuration, it holds for sessions restored after a restart too.
     */
    public Builder autoAcknowledge(boolean autoAcknowledge) {
      this.autoAcknowledge = autoAcknowledge;
      return this;
    }

    /**
     * Keeps every message a session of this client sends in a durable outbox in the store
     * ({@link CheckpointStore#openOutbox}) before it goes on the wire; after this process is
     * killed, reopening the session sends again, with no application code, every message the
     * server has not acknowledged. Needs a store that {@linkplain CheckpointStore#supportsOutbox
     * keeps outboxes}. Default {@code false}.
     */
    public Builder durableOutbox(boolean durableOutbox) {
      this.durableOutbox = durableOutbox;
      return this;
    }

    public Builder appThreads(int appThreads) {
      this.appThreads = Math.max(1, appThreads);
      return this;
    }

    /**
     * @throws IOException if the trusted CA or the client certificate cannot be used; the
     *     message names the file
     */
    public LifelineClient build() throws IOException {
      if (host == null) {
        throw new IllegalStateException("server: not set (expected: host and port)");
      }
      if (tls == null) {
        throw new IllegalStateException("tls: not set (expected: a ClientTlsConfig)");
      }
      if (store == null) {
        store = InMemoryCheckpointStore.builder().build();
      }
      if (durableOutbox && !store.supportsOutbox()) {
        throw new IllegalStateException("durableOutbox: " + store
            + " keeps no outbox (expected: a store that does, e.g. FileCheckpointStore)");
      }
      if (maxReplayBufferBytes >= 0 && maxReplayBufferBytes < replayBufferBytes) {
        throw new IllegalStateException("maxReplayBufferBytes: " + maxReplayBufferBytes
            + " (expected: >= replayBufferBytes " + replayBufferBytes + ")");
      }
      if (replayBufferBytes < maxMessageSize) {
        throw new IllegalStateException("replayBufferBytes: " + replayBufferBytes
            + " (expected: >= maxMessageSize " + maxMessageSize + ")");
      }
      return new LifelineClient(this);
    }
  }
}
