package dev.lifeline.internal.tls;

import dev.lifeline.TlsConfigurationException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;

/** The parts of building a Netty {@link SslContext} that the client and server share. */
final class TlsContexts {
  private TlsContexts() {
  }

  /** A certificate chain and the private key that was proven to match it. */
  static final class KeyMaterial {
    final PrivateKey key;
    final List<X509Certificate> chain;

    private KeyMaterial(PrivateKey key, List<X509Certificate> chain) {
      this.key = key;
      this.chain = chain;
    }
  }

  static KeyMaterial loadKeyMaterial(Path certificateChainFile, Path privateKeyFile)
      throws TlsConfigurationException {
    List<X509Certificate> chain = PemFiles.readCertificates(certificateChainFile);
    PrivateKey key = PemFiles.readPrivateKey(privateKeyFile);
    PemFiles.checkKeyMatches(key, chain.get(0), privateKeyFile, certificateChainFile);
    return new KeyMaterial(key, chain);
  }

  /** Applies what every Lifeline context has: provider, protocols, suites, ALPN, session cache. */
  static SslContextBuilder common(SslContextBuilder builder, SslProvider provider,
      List<String> protocols, int sessionCacheSize, Duration sessionTimeout) {
    return common(builder, provider, protocols, sessionCacheSize, sessionTimeout,
        TlsConstants.ALPN);
  }

  /** As above, with the given ALPN configuration (a server that also serves HTTP/1.1). */
  static SslContextBuilder common(SslContextBuilder builder, SslProvider provider,
      List<String> protocols, int sessionCacheSize, Duration sessionTimeout,
      io.netty.handler.ssl.ApplicationProtocolConfig alpn) {
    return builder.sslProvider(provider)
        .protocols(protocols)
        .ciphers(TlsConstants.CIPHER_SUITES, SupportedCipherSuiteFilter.INSTANCE)
        .applicationProtocolConfig(alpn)
        .sessionCacheSize(sessionCacheSize)
        .sessionTimeout(Math.max(1, sessionTimeout.toSeconds()));
  }

  static SslContext build(SslContextBuilder builder, String what) throws TlsConfigurationException {
    try {
      return builder.build();
    } catch (SSLException | RuntimeException e) {
      throw new TlsConfigurationException("cannot create the " + what + " TLS context: " + e, e);
    }
  }
}
