package dev.lifeline.internal.tls;

import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.TicketKey;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of Lifeline's TLS: one long-lived {@link SslContext}, the session ticket key ring
 * and its rotation, the handshake limiter and classifier. Create one per server and call
 * {@link #install} from the child channel initializer (the server's is {@code
 * internal/session/ServerPipeline}, which lists every stage of a connection in order).
 *
 * <p>With the OpenSSL provider, tickets (TLS 1.2 and 1.3) are encrypted under the first key of the
 * ring and decrypted under any of them; the ring rotates on the configured interval and is saved
 * in the configured {@code TicketKeyStore}. The JDK provider encrypts tickets under keys of its own
 * that live in memory only, so the ring is not used there (see {@code docs/tls.md}).
 */
public final class ServerTls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
  private static final long ROTATION_RETRY_MILLIS = TimeUnit.MINUTES.toMillis(1);

  private final ServerTlsConfig config;
  private final SslContext context;
  private final SslProvider provider;
  private final String providerName;
  private final HandshakeListener listener;
  private final HandshakeLimiter.Slots slots;
  private final TicketKeyRing ring; // null for the JDK provider
  private final ScheduledExecutorService rotation; // null when not scheduled

  private ServerTls(ServerTlsConfig config, SslContext context, SslProvider provider,
      HandshakeListener listener, TicketKeyRing ring, boolean scheduleRotation) {
    this.config = config;
    this.context = context;
    this.provider = provider;
    this.providerName = TlsProviders.name(provider);
    this.listener = listener;
    this.slots = new HandshakeLimiter.Slots(config.maxConcurrentHandshakes(),
        config.maxWaitingHandshakes());
    this.ring = ring;
    this.rotation = ring != null && scheduleRotation
        ? Executors.newSingleThreadScheduledExecutor(runnable -> {
          Thread thread = new Thread(runnable, "lifeline-ticket-key-rotation");
          thread.setDaemon(true);
          return thread;
        })
        : null;
  }

  /**
   * Loads (or, in development mode, creates) the certificate, checks the key matches it, opens the
   * ticket key ring and schedules its rotation.
   *
   * @throws dev.lifeline.TlsConfigurationException with a message naming the culprit file
   */
  public static ServerTls create(ServerTlsConfig config, HandshakeListener listener)
      throws IOException {
    return create(config, listener, Clock.systemUTC(), true, false);
  }

  /**
   * As {@link #create(ServerTlsConfig, HandshakeListener)}; {@code offerHttp} also selects
   * {@code http/1.1} by ALPN, for a server that serves HTTP beside Lifeline on its port.
   */
  public static ServerTls create(ServerTlsConfig config, HandshakeListener listener,
      boolean offerHttp) throws IOException {
    return create(config, listener, Clock.systemUTC(), true, offerHttp);
  }

  /**
   * As {@link #create(ServerTlsConfig, HandshakeListener, boolean)}, with the ticket keys' ages
   * (when one is due for rotation, when a new shared key starts encrypting) read from {@code
   * clock}: the server's clock, so a test can decide when a rotated key takes over.
   */
  public static ServerTls create(ServerTlsConfig config, HandshakeListener listener,
      boolean offerHttp, Clock clock) throws IOException {
    return create(config, listener, clock, true, offerHttp);
  }

  /** For tests: a given clock, and rotation only when {@link #rotateTicketKeys()} is called. */
  static ServerTls create(ServerTlsConfig config, HandshakeListener listener, Clock clock,
      boolean scheduleRotation) throws IOException {
    return create(config, listener, clock, scheduleRotation, false);
  }

  private static ServerTls create(ServerTlsConfig config, HandshakeListener listener, Clock clock,
      boolean scheduleRotation, boolean offerHttp) throws IOException {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(listener, "listener");
    SslProvider provider = TlsProviders.select(config.provider());
    Path certificateFile = config.certificateChainFile().orElse(null);
    Path keyFile = config.privateKeyFile().orElse(null);
    if (config.developmentCertificateDir().isPresent()) {
      Path dir = config.developmentCertificateDir().get();
      DevelopmentCertificates.ensure(dir);
      certificateFile = dir.resolve(DevelopmentCertificates.SERVER_CERT);
      keyFile = dir.resolve(DevelopmentCertificates.SERVER_KEY);
    }
    TlsContexts.KeyMaterial keys = TlsContexts.loadKeyMaterial(certificateFile, keyFile);
    SslContextBuilder builder = TlsContexts.common(
        SslContextBuilder.forServer(keys.key, keys.chain), provider, config.protocols(),
        config.sessionCacheSize(), config.sessionTimeout(),
        offerHttp ? TlsConstants.ALPN_WITH_HTTP : TlsConstants.ALPN);
    KeyExchangeGroups.apply(builder, provider, config.keyExchangeGroups());
    if (config.trustedClientCaFile().isPresent()) {
      builder.trustManager(PemFiles.readCertificates(config.trustedClientCaFile().get()))
          .clientAuth(ClientAuth.REQUIRE);
    }
    SslContext context = TlsContexts.build(builder, "server");
    TicketKeyRing ring = null;
    if (context.sessionContext() instanceof OpenSslSessionContext) {
      OpenSslSessionContext sessions = (OpenSslSessionContext) context.sessionContext();
      ring = new TicketKeyRing(config.ticketKeyStore(), clock, config.ticketKeyRotationInterval(),
          config.retainedTicketKeys(), new SecureRandom(),
          ringKeys -> sessions.setTicketKeys(toOpenSsl(ringKeys)));
      List<TicketKey> opened = ring.open();
      log.debug("ticket key ring from {}: {}", config.ticketKeyStore(), opened);
    } else {
      log.debug("JDK TLS provider: session tickets use the JDK's in-memory keys, {} is not used",
          config.ticketKeyStore());
    }
    ServerTls tls = new ServerTls(config, context, provider, listener, ring, scheduleRotation);
    tls.scheduleRotation(0);
    return tls;
  }

  /** A bare {@link SslHandler} with the configured handshake timeout, for custom pipelines. */
  public SslHandler newHandler(ByteBufAllocator alloc) {
    SslHandler handler = context.newHandler(alloc);
    handler.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
    KeyExchangeGroups.applyToEngine(handler.engine(), provider, config.keyExchangeGroups());
    return handler;
  }

  /**
   * Adds the SslHandler plus the handshake classifier / limiter handlers to the front of the
   * pipeline: [wire observer (JDK only)] [TLS] [limiter] [ticket sender (OpenSSL only)]
   * [classifier] [what was there before]. The handshake completion event reaches the rest of the
   * pipeline unchanged; by then TLS 1.3 session tickets are on their way to the client.
   */
  public void install(ChannelPipeline pipeline) {
    pipeline.addFirst(TlsConstants.CLASSIFIER_HANDLER, new HandshakeClassifier(
        HandshakeEvent.Side.SERVER, providerName, listener, System::nanoTime));
    if (provider != SslProvider.JDK) {
      pipeline.addFirst(TlsConstants.TICKET_HANDLER, new TicketSender());
    }
    pipeline.addFirst(TlsConstants.LIMITER_HANDLER, new HandshakeLimiter(slots));
    pipeline.addFirst(TlsConstants.SSL_HANDLER, newHandler(pipeline.channel().alloc()));
    if (provider == SslProvider.JDK) {
      pipeline.addFirst(TlsConstants.WIRE_OBSERVER_HANDLER, new ServerHelloObserver(true));
    }
  }

  /** {@code "OpenSSL (BoringSSL)"} or {@code "JDK"}. */
  public String providerName() {
    return providerName;
  }

  /** Whether tickets are encrypted with Lifeline's (persisted, rotating) key ring. */
  public boolean usesTicketKeyRing() {
    return ring != null;
  }

  /**
   * Connections closed because {@code maxConcurrentHandshakes} handshakes were in progress and
   * {@code maxWaitingHandshakes} connections were waiting.
   */
  public long rejectedConnections() {
    return slots.rejected();
  }

  /** Connections that had to wait for a handshake slot, since start. */
  public long queuedConnections() {
    return slots.queued();
  }

  /** Handshakes holding a slot now (tests wait on it to know which connection holds one). */
  int handshakesInProgress() {
    return slots.inUse();
  }

  /**
   * Puts a fresh ticket key in front of the ring now and saves the ring. Tickets under the
   * retained older keys still resume; older ones get a full handshake. No effect with the JDK
   * provider.
   *
   * @throws UncheckedIOException when the ring cannot be saved (the old ring stays in use)
   */
  public void rotateTicketKeys() {
    if (ring == null) {
      log.debug("rotateTicketKeys() ignored: the JDK provider keeps its own ticket keys");
      return;
    }
    try {
      ring.rotate();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save rotated ticket keys to " + config.ticketKeyStore(), e);
    }
  }

  /** The key new tickets are encrypted with; null with the JDK provider. */
  TicketKey encryptingTicketKey() {
    return ring == null ? null : ring.encryptingKey();
  }

  /** The current ring, newest first; empty with the JDK provider. */
  List<TicketKey> ticketKeys() {
    return ring == null ? List.of() : ring.keys();
  }

  /** Stops the key rotation. Connections already open are not affected. */
  @Override
  public void close() {
    if (rotation != null) {
      rotation.shutdownNow();
    }
  }

  private void scheduleRotation(long minimumDelayMillis) {
    if (rotation == null || rotation.isShutdown()) {
      return;
    }
    long delay = Math.max(minimumDelayMillis, ring.untilNextRotation().toMillis());
    if (ring.shared()) {
      // A shared ring is re-read every refresh interval: keys other nodes added, and the moment
      // a pending key becomes the encrypting one.
      delay = Math.min(delay, refreshMillis());
    }
    rotation.schedule(this::rotateWhenDue, delay, TimeUnit.MILLISECONDS);
  }

  private void rotateWhenDue() {
    long retry = 0;
    try {
      if (ring.rotateIfDue()) {
        log.info("rotated TLS ticket keys; {} keys in the ring", ring.keys().size());
      }
    } catch (IOException | RuntimeException e) {
      retry = ring.shared() ? refreshMillis() : ROTATION_RETRY_MILLIS;
      log.warn("cannot rotate or re-read TLS ticket keys ({}); keeping the current ring, "
          + "retrying in {} ms", e.toString(), retry);
    }
    scheduleRotation(Math.max(retry, 1));
  }

  private long refreshMillis() {
    return Math.max(1, config.ticketKeyStore().refreshInterval().toMillis());
  }

  /**
   * netty-tcnative's ticket callback uses AES-128-CBC and a 16-byte HMAC-SHA256 key, so it takes
   * the first 16 bytes of each 32-byte secret of the (OpenSSL-format, 80-byte) ring key. The ring
   * keeps full-size keys so that a stronger ticket cipher can use them later without a new format.
   */
  static OpenSslSessionTicketKey[] toOpenSsl(List<TicketKey> keys) {
    OpenSslSessionTicketKey[] result = new OpenSslSessionTicketKey[keys.size()];
    for (int i = 0; i < result.length; i++) {
      TicketKey key = keys.get(i);
      result[i] = new OpenSslSessionTicketKey(key.name(),
          Arrays.copyOf(key.hmacKey(), OpenSslSessionTicketKey.HMAC_KEY_SIZE),
          Arrays.copyOf(key.aesKey(), OpenSslSessionTicketKey.AES_KEY_SIZE));
    }
    return result;
  }

  @Override
  public String toString() {
    return "ServerTls{" + providerName + ", " + config + '}';
  }
}
