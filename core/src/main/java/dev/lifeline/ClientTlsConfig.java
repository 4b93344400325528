package dev.lifeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a Lifeline client speaks TLS: which CA it trusts (there is deliberately no "trust all"), an
 * optional client certificate for mutual TLS, protocols and limits.
 *
 * <p>The client keeps one TLS context for its whole life and remembers sessions per server
 * {@code host:port}, so a reconnect presents the last session ticket and resumes without a full
 * handshake. {@link Builder#sessionTimeout} bounds how long a remembered session is offered; the
 * default (24 h) covers slow reconnects. The server still decides whether to accept it.
 *
 * <pre>{@code
 * ClientTlsConfig config = ClientTlsConfig.builder()
 *     .trustedCa(dataDir.resolve("tls/ca.pem"))
 *     .build();
 * }</pre>
 */
public final class ClientTlsConfig {
  private final Path trustedCaFile;
  private final Path certificateChainFile; // null: no client certificate
  private final Path privateKeyFile; // null: no client certificate
  private final List<String> protocols;
  private final List<String> keyExchangeGroups; // empty: the provider's default
  private final Duration handshakeTimeout;
  private final TlsProvider provider;
  private final int sessionCacheSize;
  private final Duration sessionTimeout;

  private ClientTlsConfig(Builder b) {
    this.trustedCaFile = b.trustedCaFile;
    this.certificateChainFile = b.certificateChainFile;
    this.privateKeyFile = b.privateKeyFile;
    this.protocols = b.protocols;
    this.keyExchangeGroups = b.keyExchangeGroups;
    this.handshakeTimeout = b.handshakeTimeout;
    this.provider = b.provider;
    this.sessionCacheSize = b.sessionCacheSize;
    this.sessionTimeout = b.sessionTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this configuration. */
  public Builder newBuilder() {
    return new Builder(this);
  }

  /** The PEM file of the CA certificate(s) that server certificates must chain to. */
  public Path trustedCaFile() {
    return trustedCaFile;
  }

  /** The client certificate chain for mutual TLS, if any. */
  public Optional<Path> certificateChainFile() {
    return Optional.ofNullable(certificateChainFile);
  }

  /** The client private key for mutual TLS, if any. */
  public Optional<Path> privateKeyFile() {
    return Optional.ofNullable(privateKeyFile);
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

  public TlsProvider provider() {
    return provider;
  }

  public int sessionCacheSize() {
    return sessionCacheSize;
  }

  public Duration sessionTimeout() {
    return sessionTimeout;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ClientTlsConfig)) {
      return false;
    }
    ClientTlsConfig that = (ClientTlsConfig) o;
    return sessionCacheSize == that.sessionCacheSize && trustedCaFile.equals(that.trustedCaFile)
        && Objects.equals(certificateChainFile, that.certificateChainFile)
        && Objects.equals(privateKeyFile, that.privateKeyFile) && protocols.equals(that.protocols)
        && keyExchangeGroups.equals(that.keyExchangeGroups)
        && handshakeTimeout.equals(that.handshakeTimeout) && provider == that.provider
        && sessionTimeout.equals(that.sessionTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(trustedCaFile, certificateChainFile, privateKeyFile, protocols,
        keyExchangeGroups, handshakeTimeout, provider, sessionCacheSize, sessionTimeout);
  }

  @Override
  public String toString() {
    return "ClientTlsConfig{trustedCa=" + trustedCaFile
        + (certificateChainFile != null
            ? ", certificateChain=" + certificateChainFile + ", privateKey=" + privateKeyFile : "")
        + ", protocols=" + protocols
        + (keyExchangeGroups.isEmpty() ? "" : ", keyExchangeGroups=" + keyExchangeGroups)
        + ", handshakeTimeout=" + handshakeTimeout
        + ", provider=" + provider + ", sessionCacheSize=" + sessionCacheSize
        + ", sessionTimeout=" + sessionTimeout + '}';
  }

  /** Builds a {@link ClientTlsConfig}; every setter validates its argument at once. */
  public static final class Builder {
    private Path trustedCaFile;
    private Path certificateChainFile;
    private Path privateKeyFile;
    private List<String> protocols = ConfigChecks.DEFAULT_PROTOCOLS;
    private List<String> keyExchangeGroups = List.of();
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private TlsProvider provider = TlsProvider.AUTO;
    private int sessionCacheSize = 1_000;
    private Duration sessionTimeout = Duration.ofHours(24);

    private Builder() {
    }

    private Builder(ClientTlsConfig c) {
      trustedCaFile = c.trustedCaFile;
      certificateChainFile = c.certificateChainFile;
      privateKeyFile = c.privateKeyFile;
      protocols = c.protocols;
      keyExchangeGroups = c.keyExchangeGroups;
      handshakeTimeout = c.handshakeTimeout;
      provider = c.provider;
      sessionCacheSize = c.sessionCacheSize;
      sessionTimeout = c.sessionTimeout;
    }

    /** Required: the PEM file with the CA certificate(s) the server's certificate must chain to. */
    public Builder trustedCa(Path caFile) {
      this.trustedCaFile = Objects.requireNonNull(caFile, "caFile");
      return this;
    }

    /** A client certificate chain and PEM private key, for servers that require mutual TLS. */
    public Builder clientCertificate(Path certificateChainFile, Path privateKeyFile) {
      this.certificateChainFile = Objects.requireNonNull(certificateChainFile, "certificateChainFile");
      this.privateKeyFile = Objects.requireNonNull(privateKeyFile, "privateKeyFile");
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

    /** A handshake that takes longer fails and closes the connection; default 10 s. */
    public Builder handshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = ConfigChecks.positive("handshakeTimeout", handshakeTimeout);
      return this;
    }

    /** Which TLS implementation to use; default {@link TlsProvider#AUTO}. */
    public Builder provider(TlsProvider provider) {
      this.provider = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /** How many servers' sessions are remembered; default 1000. */
    public Builder sessionCacheSize(int sessionCacheSize) {
      this.sessionCacheSize = ConfigChecks.positive("sessionCacheSize", sessionCacheSize);
      return this;
    }

    /** How long a remembered session is offered for resumption; default 24 h. */
    public Builder sessionTimeout(Duration sessionTimeout) {
      this.sessionTimeout = ConfigChecks.positive("sessionTimeout", sessionTimeout);
      return this;
    }

    public ClientTlsConfig build() {
      ConfigChecks.requireSet("trustedCa", trustedCaFile);
      ConfigChecks.keyExchangeGroupsFitProtocols(keyExchangeGroups, protocols);
      return new ClientTlsConfig(this);
    }
  }
}
