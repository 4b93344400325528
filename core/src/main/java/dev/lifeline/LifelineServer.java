package dev.lifeline;

import dev.lifeline.internal.http.HttpEndpoint;
import dev.lifeline.internal.http.ServerView;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.session.ConnectionGate;
import dev.lifeline.internal.session.RefusalLimiter;
import dev.lifeline.internal.session.ResumeTokens;
import dev.lifeline.internal.session.SafeServerEvents;
import dev.lifeline.internal.session.ServerPipeline;
import dev.lifeline.internal.session.ServerSessions;
import dev.lifeline.internal.session.ReplayGrowth;
import dev.lifeline.internal.session.SessionConfig;
import dev.lifeline.internal.tls.ServerTls;
import dev.lifeline.internal.transport.Transports;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Lifeline server: accepts TLS connections, opens sessions for new clients and resumes the
 * sessions of clients that come back, on the same node or, with a shared store, on another.
 *
 * <pre>{@code
 * LifelineServer server = LifelineServer.builder()
 *     .port(7443)
 *     .tls(ServerTlsConfig.builder().developmentCertificates(dataDir.resolve("tls")).build())
 *     .store(FileCheckpointStore.open(dataDir.resolve("sessions")))
 *     .handler(myHandler)
 *     .start();
 * System.out.println("listening on " + server.address());
 * }</pre>
 */
public final class LifelineServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LifelineServer.class);

  private final Builder config;
  private final ServerTls tls;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ExecutorService appExecutor;
  private final ScheduledExecutorService timer;
  private final ServerSessions sessions;
  private final ConnectionGate gate;
  private final Channel listener;
  private final HttpEndpoint http; // null without an HTTP service
  // A field, not a fresh object per call: the HTTP side's metrics gauges hold it weakly, so it
  // must live as long as the server does.
  private final ServerView httpView = new HttpView();
  private final AtomicBoolean closed = new AtomicBoolean();

  private LifelineServer(Builder b) throws IOException {
    this.config = b;
    this.http = (HttpEndpoint) b.http;
    HandshakeListener handshakes = http == null ? b.handshakeListener
        : b.handshakeListener.andThen(http.handshakeListener());
    ServerEventListener events = new SafeServerEvents(http == null ? List.of(b.events)
        : List.of(b.events, http.events()));
    this.tls = ServerTls.create(b.tls, handshakes, http != null, b.clock);
    this.boss = Transports.newGroup(1, "lifeline-accept");
    this.workers = Transports.newGroup(b.ioThreads, "lifeline-io");
    this.appExecutor = Executors.newFixedThreadPool(b.appThreads, daemon("lifeline-app"));
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("lifeline-timer"));
    SessionConfig sc = new SessionConfig(b.maxMessageSize, b.replayBufferBytes,
        b.inboundQueueBytes, appExecutor, timer, b.autoAcknowledge, b.durableOutbox,
        ReplayGrowth.configured(b.replayBufferBytes, b.maxReplayBufferBytes,
            b.replayBufferBudgetBytes));
    RefusalLimiter limiter = new RefusalLimiter(b.refusalBurst, b.refusalsPerSecond,
        System::nanoTime);
    this.sessions = new ServerSessions(b.store, sc, b.handler, new ResumeTokens(new SecureRandom()),
        b.clock, b.maxSessions, b.maxSessionsPerIdentity, limiter, b.authenticator, events);
    this.gate = new ConnectionGate(b.maxConnections, b.maxConnectionsPerSource,
        b.maxHandshakesPerSource, limiter);
    FileDescriptors.warnIfBelow(b.maxConnections);
    int maxFrame = FrameDescriptor.dataFrameLength(b.maxMessageSize);
    this.listener = bind(b, new ServerPipeline(gate, tls, http, sessions, b.idleTimeout, maxFrame,
        b.serverName));
    if (http != null) {
      try {
        http.serverStarted(httpView);
      } catch (RuntimeException e) {
        listener.close().syncUninterruptibly();
        shutdown();
        throw e;
      }
    }
    long sweepMillis = b.sweepInterval.toMillis();
    timer.scheduleWithFixedDelay(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    log.info("Lifeline server on {} (TLS provider {}, transport {})", address(),
        tls.providerName(), Transports.name());
  }

  /** Binds the listening socket; on failure shuts down what the constructor started. */
  private Channel bind(Builder b, ServerPipeline pipeline) throws IOException {
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(boss, workers)
        .channel(Transports.serverChannel())
        // The kernel's limit (net.core.somaxconn, 4096 on current Linux), not a smaller one: when
        // every client of a failed link reconnects at once, an overflowing accept queue drops
        // SYNs, and each drop costs that client a 1 s (then 3 s, 7 s) SYN retransmission.
        .option(ChannelOption.SO_BACKLOG, Math.max(1024, io.netty.util.NetUtil.SOMAXCONN))
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.RCVBUF_ALLOCATOR, Transports.reads())
        .childHandler(pipeline);
    io.netty.channel.ChannelFuture bound = bootstrap.bind(b.host, b.port).awaitUninterruptibly();
    if (!bound.isSuccess()) {
      shutdown();
      Throwable cause = bound.cause();
      throw new IOException("cannot listen on " + b.host + ":" + b.port + ": "
          + (cause == null ? "bind failed" : cause.getMessage()), cause);
    }
    return bound.channel();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The address the server listens on, as "host:port" (the real port when 0 was asked for). */
  public String address() {
    InetSocketAddress a = (InetSocketAddress) listener.localAddress();
    String host = a.getAddress().getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** The port the server listens on. */
  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Sessions held in memory (connected, or waiting for their client to come back). */
  public int sessionCount() {
    return sessions.size();
  }

  /**
   * A snapshot of every session held in memory: connected ones and those waiting for their
   * client to come back. For status pages; each call takes a fresh snapshot.
   */
  public List<SessionInfo> sessions() {
    return sessions.snapshot();
  }

  /**
   * Connections open now: established sessions, handshakes in progress and connections waiting
   * for their OPEN or RESUME.
   */
  public int connectionCount() {
    return gate.open();
  }

  /**
   * Connections closed at accept, before the TLS handshake: because the server held {@link
   * Builder#maxConnections} connections, because their source was over its {@link
   * Builder#refusalLimit refusal limit}, or because their source held {@link
   * Builder#maxConnectionsPerSource} connections or {@link Builder#maxHandshakesPerSource}
   * unfinished handshakes.
   */
  public long refusedConnections() {
    return gate.refusedFull() + gate.refusedLimited() + gate.refusedSourceConnections()
        + gate.refusedSourceHandshakes();
  }

  /** The TLS provider in use: "OpenSSL (BoringSSL)" or "JDK". */
  public String tlsProvider() {
    return tls.providerName();
  }

  /** Starts a new ticket key now (operators and tests; it also happens on a schedule). */
  public void rotateTicketKeys() {
    tls.rotateTicketKeys();
  }

  private void sweep() {
    try {
      sessions.sweep().get(1, TimeUnit.MINUTES).forEach(id -> {
        try {
          config.onSessionExpired.accept(id);
        } catch (RuntimeException e) {
          log.warn("expiry listener failed for session {}: {}", id, e.toString());
        }
      });
    } catch (Exception e) {
      log.warn("session expiry sweep failed: {}", e.toString());
    }
  }

  /**
   * Stops listening, tells every connected client the server is going away ({@link
   * ErrorCode#GOING_AWAY}: it reconnects at once, to another node behind the same address or to
   * this one when it is back) and closes every connection, waiting up to 2 s for the CLOSE frames
   * to go out. Sessions stay in the store, so clients resume them on any server sharing it. Does
   * not close the store. Closing again has no effect.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    listener.close().syncUninterruptibly();
    gate.goingAway(Duration.ofSeconds(2));
    shutdown();
    sessions.connectionLog().report(); // what was counted since the last summary
    if (http != null) {
      http.serverStopped();
    }
  }

  private void shutdown() {
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    timer.shutdownNow();
    appExecutor.shutdown();
    tls.close();
  }

  /** What the HTTP service may read of this server: its address, TLS provider and sessions. */
  private final class HttpView implements ServerView {
    @Override
    public String address() {
      return LifelineServer.this.address();
    }

    @Override
    public String tlsProvider() {
      return LifelineServer.this.tlsProvider();
    }

    @Override
    public List<SessionInfo> sessions() {
      return LifelineServer.this.sessions();
    }
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Configures and starts a {@link LifelineServer}. Only {@link #tls} and {@link #handler} are required. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private ServerTlsConfig tls;
    private SessionHandler handler;
    private CheckpointStore store;
    private Authenticator authenticator = Authenticator.DEFAULT;
    private HandshakeListener handshakeListener = e -> { };
    private ServerEventListener events = ServerEventListener.NONE;
    private HttpService http;
    private Duration idleTimeout = Duration.ofSeconds(30);
    private Duration sweepInterval = Duration.ofMinutes(1);
    private int maxMessageSize = 1024 * 1024;
    private long replayBufferBytes = 32L * 1024 * 1024;
    private long maxReplayBufferBytes = -1; // unset: max(replayBufferBytes, 256 MiB)
    private long replayBufferBudgetBytes = 1L << 30;
    private long inboundQueueBytes = 8L * 1024 * 1024;
    private boolean autoAcknowledge = true;
    private boolean durableOutbox;
    private int maxSessions = 100_000;
    private int maxSessionsPerIdentity = 100_000;
    private int maxConnections = 10_000;
    private int maxConnectionsPerSource = 1_000;
    private int maxHandshakesPerSource = 128;
    private int refusalBurst = 20;
    private double refusalsPerSecond = 2;
    private int ioThreads = Runtime.getRuntime().availableProcessors();
    private int appThreads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    private String serverName = "lifeline/0.1";
    private Clock clock = Clock.systemUTC();
    private java.util.function.Consumer<String> onSessionExpired = id -> { };

    private Builder() {}

    /**
     * Called with the id of every session the expiry sweep removed, so the application can delete
     * what the session left behind (a partial upload).
     */
    public Builder onSessionExpired(java.util.function.Consumer<String> listener) {
      this.onSessionExpired = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** The address to bind; default 127.0.0.1 (the development certificate covers only loopback). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port to listen on; 0 (the default) picks a free one, see {@link #port()}. */
    public Builder port(int port) {
      this.port = ConfigChecks.inRange("port", port, 0, 65535);
      return this;
    }

    public Builder tls(ServerTlsConfig tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /** The application: called for every session, new or resumed. */
    public Builder handler(SessionHandler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /** Where sessions and checkpoints are kept; default an in-memory store (lost on exit). */
    public Builder store(CheckpointStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    public Builder authenticator(Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      return this;
    }

    public Builder handshakeListener(HandshakeListener listener) {
      this.handshakeListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Told about sessions opening, resuming, disconnecting and closing; for metrics. */
    public Builder events(ServerEventListener listener) {
      this.events = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Also serves HTTP/1.1 on the same port: TLS clients that choose {@code http/1.1} by ALPN,
     * or offer no ALPN at all, are handed to {@code service}; Lifeline clients (ALPN {@code
     * lifeline/1}) are not affected. Without it (the default) every client speaks Lifeline.
     *
     * @param service from the {@code lifeline-http} module ({@code dev.lifeline.http.HttpFrontend})
     */
    public Builder http(HttpService service) {
      Objects.requireNonNull(service, "service");
      if (!(service instanceof HttpEndpoint)) {
        throw new IllegalArgumentException("http: " + service.getClass().getName()
            + " (expected: an HttpService from the lifeline-http module)");
      }
      this.http = service;
      return this;
    }

    /** A connection that delivers nothing for this long is closed as half-open; default 30s. */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = ConfigChecks.positive("idleTimeout", idleTimeout);
      return this;
    }

    /** How often expired sessions are removed; default 1 minute. */
    public Builder sweepInterval(Duration sweepInterval) {
      this.sweepInterval = ConfigChecks.positive("sweepInterval", sweepInterval);
      return this;
    }

    /** The largest message either side may send; default 1 MiB, at most 16 MiB. */
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

    /** Sessions held at once; OPEN beyond it is refused with TOO_MANY_SESSIONS. */
    public Builder maxSessions(int maxSessions) {
      if (maxSessions < 1) {
        throw new IllegalArgumentException("maxSessions: " + maxSessions + " (expected: > 0)");
      }
      this.maxSessions = maxSessions;
      return this;
    }

    /**
     * Sessions one identity (see {@link Authenticator}) may hold at once; default 100,000 (no
     * limit below {@link #maxSessions}). An OPEN beyond it is refused with {@link
     * ErrorCode#TOO_MANY_SESSIONS_FOR_IDENTITY}; resuming an existing session is never refused
     * for it.
     */
    public Builder maxSessionsPerIdentity(int maxSessionsPerIdentity) {
      if (maxSessionsPerIdentity < 1) {
        throw new IllegalArgumentException("maxSessionsPerIdentity: " + maxSessionsPerIdentity
            + " (expected: > 0)");
      }
      this.maxSessionsPerIdentity = maxSessionsPerIdentity;
      return this;
    }

    /**
     * Connections held at once, in any state (handshaking, waiting for OPEN/RESUME, carrying a
     * session); default 10,000. A connection beyond it is closed as soon as it is accepted,
     * before the TLS handshake, so a flood of idle connections cannot starve the server of file
     * descriptors. Each connection takes one descriptor: keep {@code ulimit -n} above this (the
     * server warns at start when it is not).
     */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new IllegalArgumentException(
            "maxConnections: " + maxConnections + " (expected: > 0)");
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * Connections one source may hold at once, in any state; default 1,000. A source is an IPv4
     * address, or an IPv6 /64 prefix (one subscriber usually has a whole /64). A connection
     * beyond it is closed (reset) as soon as it is accepted, before the TLS handshake, so one
     * source cannot take every one of {@link #maxConnections}. Clients behind one NAT or proxy
     * share a source: behind a load balancer that connects from its own address, set this to
     * {@link #maxConnections} and limit sources at the balancer.
     */
    public Builder maxConnectionsPerSource(int maxConnectionsPerSource) {
      this.maxConnectionsPerSource =
          ConfigChecks.positive("maxConnectionsPerSource", maxConnectionsPerSource);
      return this;
    }

    /**
     * Connections one source (as for {@link #maxConnectionsPerSource}) may hold at once whose TLS
     * handshake has not finished, whether they run it or wait for one of {@link
     * ServerTlsConfig.Builder#maxConcurrentHandshakes} slots; default 128: half the default
     * slots, twice what one {@link LifelineClient} connects at once. A connection beyond
     * it is closed (reset) at accept, so one source stalling its handshakes cannot hold every
     * slot and starve other sources' handshakes; it gets its place back when a handshake
     * finishes, fails or times out. Behind a NAT, clients reconnecting at once share it: they
     * retry after their backoff.
     */
    public Builder maxHandshakesPerSource(int maxHandshakesPerSource) {
      this.maxHandshakesPerSource =
          ConfigChecks.positive("maxHandshakesPerSource", maxHandshakesPerSource);
      return this;
    }

    /**
     * Refused open/resume attempts one source address may make in a burst, and regains per
     * second; default 20 and 2. Beyond them its attempts are refused with RATE_LIMITED before
     * any lookup, and once it has been told so, its further connections in the same second are
     * closed at accept, before the TLS handshake. Successful opens and resumes do not count.
     */
    public Builder refusalLimit(int burst, double perSecond) {
      if (burst < 1 || !(perSecond > 0)) {
        throw new IllegalArgumentException("refusalLimit: " + burst + ", " + perSecond
            + " (expected: burst > 0, perSecond > 0)");
      }
      this.refusalBurst = burst;
      this.refusalsPerSecond = perSecond;
      return this;
    }

    public Builder ioThreads(int ioThreads) {
      this.ioThreads = Math.max(1, ioThreads);
      return this;
    }

    /**
     * The acknowledgement mode of every session of this server: {@code true} (the default)
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
     * Keeps every message a session of this server sends in a durable outbox in the store
     * ({@link CheckpointStore#openOutbox}) before it goes on the wire; after this process is
     * killed, reopening the session sends again, with no application code, every message the
     * client has not acknowledged. Needs a store that {@linkplain CheckpointStore#supportsOutbox
     * keeps outboxes}. Default {@code false}.
     */
    public Builder durableOutbox(boolean durableOutbox) {
      this.durableOutbox = durableOutbox;
      return this;
    }

    /** Threads that run application callbacks (each session's callbacks stay in order). */
    public Builder appThreads(int appThreads) {
      this.appThreads = Math.max(1, appThreads);
      return this;
    }

    /**
     * The server's clock (default: the system's, UTC): session ages for expiry, and ticket key
     * ages (rotation, and when a new key of a shared ring starts encrypting). For tests that
     * decide when time passes.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Binds and starts the server.
     *
     * @throws IOException if the certificate cannot be used or the port cannot be bound; the
     *     message names the file or address
     */
    public LifelineServer start() throws IOException {
      if (tls == null) {
        throw new IllegalStateException("tls: not set (expected: a ServerTlsConfig)");
      }
      if (handler == null) {
        throw new IllegalStateException("handler: not set (expected: a SessionHandler)");
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
      return new LifelineServer(this);
    }
  }
}
