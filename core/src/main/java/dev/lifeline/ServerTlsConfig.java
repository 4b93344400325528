package dev.lifeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a Lifeline server speaks TLS: its certificate, the protocols it accepts, its limits, and how
 * it lets returning clients resume cheaply.
 *
 * <p>The certificate comes either from PEM files ({@link Builder#certificate}) or, for development,
 * from a CA and server certificate that Lifeline creates once under a directory and reuses
 * afterwards ({@link Builder#developmentCertificates}). Either way the private key is checked to
 * match the certificate at start.
 *
 * <p>Resumption: TLS 1.2 clients resume from a session-id cache ({@link Builder#sessionCacheSize},
 * {@link Builder#sessionTimeout}); TLS 1.2 and 1.3 clients resume from session tickets encrypted
 * under a ring of keys. The newest key encrypts, {@link Builder#retainedTicketKeys} older keys still
 * decrypt, and a new key is made every {@link Builder#ticketKeyRotationInterval}. The ring is kept
 * in a {@link TicketKeyStore} (by default a 0600 file in the development certificate directory, in
 * memory otherwise) so that resumption survives a restart. Only the OpenSSL provider uses the
 * ring; see {@link TlsProvider}.
 *
 * <pre>{@code
 * ServerTlsConfig config = ServerTlsConfig.builder()
 *     .certificate(Path.of("/etc/app/server.pem"), Path.of("/etc/app/server.key"))
 *     .ticketKeyStore(new FileTicketKeyStore(Path.of("/var/lib/app/ticket-keys")))
 *     .handshakeTimeout(Duration.ofSeconds(5))
 *     .build();
 * }</pre>
 */
public final class ServerTlsConfig {
  private final Path certificateChainFile; // null in development mode
  private final Path privateKeyFile; // null in development mode
  private final Path developmentCertificateDir; // null when files were given
  private final List<String> protocols;
  private final List<String> keyExchangeGroups; // empty: the provider's default
  private final Duration handshakeTimeout;
  private final int maxConcurrentHandshakes;
  private final int maxWaitingHandshakes;
  private final Duration ticketKeyRotationInterval;
  private final int retainedTicketKeys;
  private final TicketKeyStore ticketKeyStore;
  private final int sessionCacheSize;
  private final Duration sessionTimeout;
  private final TlsProvider provider;
  private final Path trustedClientCaFile; // null: no client certificate requested

  private ServerTlsConfig(Builder b) {
    this.certificateChainFile = b.certificateChainFile;
    this.privateKeyFile = b.privateKeyFile;
    this.developmentCertificateDir = b.developmentCertificateDir;
    this.protocols = b.protocols;
    this.keyExchangeGroups = b.keyExchangeGroups;
    this.handshakeTimeout = b.handshakeTimeout;
    this.maxConcurrentHandshakes = b.maxConcurrentHandshakes;
    this.maxWaitingHandshakes = b.maxWaitingHandshakes;
    this.ticketKeyRotationInterval = b.ticketKeyRotationInterval;
    this.retainedTicketKeys = b.retainedTicketKeys;
    this.ticketKeyStore = b.ticketKeyStore != null ? b.ticketKeyStore
        : developmentCertificateDir != null
            ? new FileTicketKeyStore(developmentCertificateDir.resolve("ticket-keys"))
            : TicketKeyStore.inMemory();
    this.sessionCacheSize = b.sessionCacheSize;
    this.sessionTimeout = b.sessionTimeout;
    this.provider = b.provider;
    this.trustedClientCaFile = b.trustedClientCaFile;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this configuration. */
  public Builder newBuilder() {
    return new Builder(this);
  }

  /** The PEM certificate chain, leaf first; empty in development-certificate mode. */
  public Optional<Path> certificateChainFile() {
    return Optional.ofNullable(certificateChainFile);
  }

  /** The PEM private key; empty in development-certificate mode. */
  public Optional<Path> privateKeyFile() {
    return Optional.ofNullable(privateKeyFile);
  }

  /** Where development certificates are created and reused; empty when files were given. */
  public Optional<Path> developmentCertificateDir() {
    return Optional.ofNullable(developmentCertificateDir);
  }

  public List<String> protocols() {
    return protocols;
  }

  /**
   * The key-exchange groups in order of preference, as registry names; empty: the provider's
   * default (see {@link Builder#keyExchangeGroups}).
   */
  public List<String> keyExchangeGroups() {
    return keyExchangeGroups;
  }

  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  public int maxConcurrentHandshakes() {
    return maxConcurrentHandshakes;
  }

  public int maxWaitingHandshakes() {
    return maxWaitingHandshakes;
  }

  public Duration ticketKeyRotationInterval() {
    return ticketKeyRotationInterval;
  }

  public int retainedTicketKeys() {
    return retainedTicketKeys;
  }

  public TicketKeyStore ticketKeyStore() {
    return ticketKeyStore;
  }

  public int sessionCacheSize() {
    return sessionCacheSize;
  }

  public Duration sessionTimeout() {
    return sessionTimeout;
  }

  public TlsProvider provider() {
    return provider;
  }

  /** When set, clients must present a certificate issued by this CA (mutual TLS). */
  public Optional<Path> trustedClientCaFile() {
    return Optional.ofNullable(trustedClientCaFile);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ServerTlsConfig)) {
      return false;
    }
    ServerTlsConfig that = (ServerTlsConfig) o;
    return maxConcurrentHandshakes == that.maxConcurrentHandshakes
        && maxWaitingHandshakes == that.maxWaitingHandshakes
        && retainedTicketKeys == that.retainedTicketKeys
        && sessionCacheSize == that.sessionCacheSize
        && Objects.equals(certificateChainFile, that.certificateChainFile)
        && Objects.equals(privateKeyFile, that.privateKeyFile)
        && Objects.equals(developmentCertificateDir, that.developmentCertificateDir)
        && protocols.equals(that.protocols)
        && keyExchangeGroups.equals(that.keyExchangeGroups)
        && handshakeTimeout.equals(that.handshakeTimeout)
        && ticketKeyRotationInterval.equals(that.ticketKeyRotationInterval)
        && ticketKeyStore.equals(that.ticketKeyStore) && sessionTimeout.equals(that.sessionTimeout)
        && provider == that.provider
        && Objects.equals(trustedClientCaFile, that.trustedClientCaFile);
  }

  @Override
  public int hashCode() {
    return Objects.hash(certificateChainFile, privateKeyFile, developmentCertificateDir, protocols,
        keyExchangeGroups, handshakeTimeout, maxConcurrentHandshakes, maxWaitingHandshakes, ticketKeyRotationInterval, retainedTicketKeys,
        ticketKeyStore, sessionCacheSize, sessionTimeout, provider, trustedClientCaFile);
  }

  @Override
  public String toString() {
    String certificate = developmentCertificateDir != null
        ? "developmentCertificates=" + developmentCertificateDir
        : "certificateChain=" + certificateChainFile + ", privateKey=" + privateKeyFile;
    return "ServerTlsConfig{" + certificate + ", protocols=" + protocols
        + (keyExchangeGroups.isEmpty() ? "" : ", keyExchangeGroups=" + keyExchangeGroups)
        + ", handshakeTimeout=" + handshakeTimeout
        + ", maxConcurrentHandshakes=" + maxConcurrentHandshakes
        + ", maxWaitingHandshakes=" + maxWaitingHandshakes
        + ", ticketKeyRotationInterval=" + ticketKeyRotationInterval
        + ", retainedTicketKeys=" + retainedTicketKeys + ", ticketKeyStore=" + ticketKeyStore
        + ", sessionCacheSize=" + sessionCacheSize + ", sessionTimeout=" + sessionTimeout
        + ", provider=" + provider
        + (trustedClientCaFile != null ? ", trustedClientCa=" + trustedClientCaFile : "") + '}';
  }

  /** Builds a {@link ServerTlsConfig}; every setter validates its argument at once. */
  public static final class Builder {
    private Path certificateChainFile;
    private Path privateKeyFile;
    private Path developmentCertificateDir;
    private List<String> protocols = ConfigChecks.DEFAULT_PROTOCOLS;
    private List<String> keyExchangeGroups = List.of();
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private int maxConcurrentHandshakes = 256;
    private int maxWaitingHandshakes = 16_384;
    private Duration ticketKeyRotationInterval = Duration.ofHours(12);
    private int retainedTicketKeys = 2;
    private TicketKeyStore ticketKeyStore;
    private int sessionCacheSize = 20_000;
    private Duration sessionTimeout = Duration.ofHours(24);
    private TlsProvider provider = TlsProvider.AUTO;
    private Path trustedClientCaFile;

    private Builder() {
    }

    private Builder(ServerTlsConfig c) {
      certificateChainFile = c.certificateChainFile;
      privateKeyFile = c.privateKeyFile;
      developmentCertificateDir = c.developmentCertificateDir;
      protocols = c.protocols;
      keyExchangeGroups = c.keyExchangeGroups;
      handshakeTimeout = c.handshakeTimeout;
      maxConcurrentHandshakes = c.maxConcurrentHandshakes;
      maxWaitingHandshakes = c.maxWaitingHandshakes;
      ticketKeyRotationInterval = c.ticketKeyRotationInterval;
      retainedTicketKeys = c.retainedTicketKeys;
      ticketKeyStore = c.ticketKeyStore;
      sessionCacheSize = c.sessionCacheSize;
      sessionTimeout = c.sessionTimeout;
      provider = c.provider;
      trustedClientCaFile = c.trustedClientCaFile;
    }

    /** The PEM certificate chain (leaf first) and its PEM private key (PKCS#8, PKCS#1 or SEC1). */
    public Builder certificate(Path certificateChainFile, Path privateKeyFile) {
      this.certificateChainFile = Objects.requireNonNull(certificateChainFile, "certificateChainFile");
      this.privateKeyFile = Objects.requireNonNull(privateKeyFile, "privateKeyFile");
      this.developmentCertificateDir = null;
      return this;
    }

    /**
     * Uses (creating them on first use) a development CA and a server certificate for
     * {@code localhost} and {@code 127.0.0.1} under {@code dir}: {@code ca.pem}, {@code ca.key},
     * {@code server.pem}, {@code server.key} (key files mode 0600). Clients trust {@code ca.pem}.
     */
    public Builder developmentCertificates(Path dir) {
      this.developmentCertificateDir = Objects.requireNonNull(dir, "dir");
      this.certificateChainFile = null;
      this.privateKeyFile = null;
      return this;
    }

    /** {@code "TLSv1.3"} and/or {@code "TLSv1.2"}; default both. */
    public Builder protocols(String... protocols) {
      this.protocols = ConfigChecks.protocols(Arrays.asList(protocols));
      return this;
    }

    /**
     * Limits the key-exchange groups (ECDHE "curves", and hybrid post-quantum groups) to these,
     * in this order of preference; like OpenSSL's {@code -groups}, curl's {@code --curves} and
     * nginx's {@code ssl_ecdh_curve}. Names from the IANA registry: {@code X25519MLKEM768}
     * (hybrid X25519 + ML-KEM-768, TLS 1.3 only), {@code x25519}, {@code secp256r1},
     * {@code secp384r1}, {@code secp521r1}; OpenSSL's spellings ({@code X25519}, {@code P-256},
     * ...) are accepted too, in any case.
     *
     * <p>Not set (the default): the provider's own list. With the OpenSSL provider (BoringSSL)
     * that is {@code X25519MLKEM768, x25519, secp256r1, secp384r1, secp521r1}: a Lifeline client
     * and server agree on the post-quantum hybrid, which protects recorded traffic against a
     * future quantum computer. It costs CPU on every handshake, resumed ones included (a TLS 1.3
     * resumption still makes a fresh key exchange): about 120 µs on the server and 350 µs on the
     * client per resumption on the benchmark machine (docs/tls.md, "Key-exchange groups").
     * {@code keyExchangeGroups("x25519")} saves that and gives up the post-quantum protection; a
     * peer that offers none of the listed groups fails the handshake.
     *
     * <p>With the JDK provider the list is set per connection on Java 20 and later; Java 17 to 19
     * have only the JVM-wide {@code -Djdk.tls.namedGroups}, so there starting fails with a
     * {@link TlsConfigurationException} unless that property names the same groups.
     *
     * @throws IllegalArgumentException for an unknown name or an empty list
     */
    public Builder keyExchangeGroups(String... groups) {
      this.keyExchangeGroups = ConfigChecks.keyExchangeGroups(Arrays.asList(groups));
      return this;
    }

    /** A connection whose handshake takes longer is closed; default 10 s. */
    public Builder handshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = ConfigChecks.positive("handshakeTimeout", handshakeTimeout);
      return this;
    }

    /**
     * Handshakes in progress at once; default 256. A connection beyond them waits for a free slot
     * (see {@link #maxWaitingHandshakes}).
     */
    public Builder maxConcurrentHandshakes(int maxConcurrentHandshakes) {
      this.maxConcurrentHandshakes =
          ConfigChecks.positive("maxConcurrentHandshakes", maxConcurrentHandshakes);
      return this;
    }

    /**
     * Connections that may wait, not reading, for one of the {@link #maxConcurrentHandshakes}
     * slots; default 16,384. They are served in arrival order, and the {@link #handshakeTimeout}
     * runs while they wait. A connection that finds this many waiting is closed at once; 0 closes
     * every connection beyond {@code maxConcurrentHandshakes} at once. Waiting turns a reconnect
     * storm (every client of a failed link coming back at once) into a queue served at the speed
     * of the server's handshakes, instead of refusals that clients retry after backoff.
     */
    public Builder maxWaitingHandshakes(int maxWaitingHandshakes) {
      this.maxWaitingHandshakes =
          ConfigChecks.notNegative("maxWaitingHandshakes", maxWaitingHandshakes);
      return this;
    }

    /** How often a new ticket key is made; default 12 h. */
    public Builder ticketKeyRotationInterval(Duration interval) {
      this.ticketKeyRotationInterval = ConfigChecks.positive("ticketKeyRotationInterval", interval);
      return this;
    }

    /** How many older ticket keys still decrypt; default 2. Zero: a rotation ends all tickets. */
    public Builder retainedTicketKeys(int retainedTicketKeys) {
      this.retainedTicketKeys = ConfigChecks.notNegative("retainedTicketKeys", retainedTicketKeys);
      return this;
    }

    /** Where the ticket key ring is kept; see the class documentation for the default. */
    public Builder ticketKeyStore(TicketKeyStore ticketKeyStore) {
      this.ticketKeyStore = Objects.requireNonNull(ticketKeyStore, "ticketKeyStore");
      return this;
    }

    /** How many TLS 1.2 sessions the server caches by session id; default 20000. */
    public Builder sessionCacheSize(int sessionCacheSize) {
      this.sessionCacheSize = ConfigChecks.positive("sessionCacheSize", sessionCacheSize);
      return this;
    }

    /** How long a cached session or a ticket may be resumed; default 24 h. */
    public Builder sessionTimeout(Duration sessionTimeout) {
      this.sessionTimeout = ConfigChecks.positive("sessionTimeout", sessionTimeout);
      return this;
    }

    /** Which TLS implementation to use; default {@link TlsProvider#AUTO}. */
    public Builder provider(TlsProvider provider) {
      this.provider = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /** Requires every client to present a certificate issued by the CA in this PEM file. */
    public Builder trustedClientCa(Path caFile) {
      this.trustedClientCaFile = Objects.requireNonNull(caFile, "caFile");
      return this;
    }

    public ServerTlsConfig build() {
      if (developmentCertificateDir == null && certificateChainFile == null) {
        throw new IllegalStateException("certificate: not set (expected: certificate(chain, key)"
            + " or developmentCertificates(dir))");
      }
      ConfigChecks.keyExchangeGroupsFitProtocols(keyExchangeGroups, protocols);
      return new ServerTlsConfig(this);
    }
  }
}
