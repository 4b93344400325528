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
  private final Duration handshakeTimeout;
  private final TlsProvider provider;
  private final int sessionCacheSize;
  private final Duration sessionTimeout;

  private ClientTlsConfig(Builder b) {
    this.trustedCaFile = b.trustedCaFile;
    this.certificateChainFile = b.certificateChainFile;
    this.privateKeyFile = b.privateKeyFile;
    this.protocols = b.protocols;
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
        && handshakeTimeout.equals(that.handshakeTimeout) && provider == that.provider
        && sessionTimeout.equals(that.sessionTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(trustedCaFile, certificateChainFile, privateKeyFile, protocols,
        handshakeTimeout, provider, sessionCacheSize, sessionTimeout);
  }

  @Override
  public String toString() {
    return "ClientTlsConfig{trustedCa=" + trustedCaFile
        + (certificateChainFile != null
            ? ", certificateChain=" + certificateChainFile + ", privateKey=" + privateKeyFile : "")
        + ", protocols=" + protocols + ", handshakeTimeout=" + handshakeTimeout
        + ", provider=" + provider + ", sessionCacheSize=" + sessionCacheSize
        + ", sessionTimeout=" + sessionTimeout + '}';
  }

  /** Builds a {@link ClientTlsConfig}; every setter validates its argument at once. */
  public static final class Builder {
    private Path trustedCaFile;
    private Path certificateChainFile;
    private Path privateKeyFile;
    private List<String> protocols = ConfigChecks.DEFAULT_PROTOCOLS;
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
      return new ClientTlsConfig(this);
    }
  }
}
