package dev.lifeline;

/**
 * Which TLS implementation Lifeline uses.
 *
 * <p>{@link #AUTO} picks the OpenSSL-class provider (BoringSSL through netty-tcnative) when its
 * native library loads on this machine and falls back to the JDK's own TLS otherwise. The choice
 * and its reason are logged once per process. Only the OpenSSL provider can use Lifeline's
 * rotating, persisted ticket key ring; see {@code docs/tls.md} for what the JDK provider can and
 * cannot do.
 *
 * <pre>{@code
 * ServerTlsConfig config = ServerTlsConfig.builder()
 *     .developmentCertificates(dataDir.resolve("tls"))
 *     .provider(TlsProvider.JDK)
 *     .build();
 * }</pre>
 */
public enum TlsProvider {
  /** OpenSSL (BoringSSL) when available, the JDK otherwise. */
  AUTO,
  /** OpenSSL (BoringSSL) or fail: start-up fails with the reason the native library did not load. */
  OPENSSL,
  /** The JDK's TLS implementation (SunJSSE). */
  JDK
}
