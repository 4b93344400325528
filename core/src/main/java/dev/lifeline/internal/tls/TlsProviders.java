package dev.lifeline.internal.tls;

import dev.lifeline.TlsConfigurationException;
import dev.lifeline.TlsProvider;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Resolves a {@link TlsProvider} preference to a Netty provider and logs each choice once. */
final class TlsProviders {
  private static final Logger log = LoggerFactory.getLogger(TlsProviders.class);
  private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

  private TlsProviders() {
  }

  static SslProvider select(TlsProvider preference) throws TlsConfigurationException {
    switch (preference) {
      case JDK:
        logOnce("TLS provider: JDK (configured)");
        return SslProvider.JDK;
      case OPENSSL:
        if (!openSslUsable()) {
          throw new TlsConfigurationException(
              "TLS provider OPENSSL requested but not available: " + unavailableReason());
        }
        logOnce("TLS provider: " + openSslName() + " (configured)");
        return SslProvider.OPENSSL;
      default:
        if (openSslUsable()) {
          logOnce("TLS provider: " + openSslName() + " (native library loaded)");
          return SslProvider.OPENSSL;
        }
        logOnce("TLS provider: JDK (OpenSSL unavailable: " + unavailableReason() + ")");
        return SslProvider.JDK;
    }
  }

  /** Whether the OpenSSL provider can be used here; tests run for each provider this allows. */
  static boolean openSslUsable() {
    return OpenSsl.isAvailable() && OpenSsl.isAlpnSupported();
  }

  static String name(SslProvider provider) {
    return provider == SslProvider.JDK ? "JDK" : openSslName();
  }

  private static String openSslName() {
    return "OpenSSL (" + OpenSsl.versionString() + ")";
  }

  private static String unavailableReason() {
    Throwable cause = OpenSsl.unavailabilityCause();
    if (cause != null) {
      return cause.toString();
    }
    return OpenSsl.isAlpnSupported() ? "unknown" : "no ALPN support";
  }

  private static void logOnce(String message) {
    if (LOGGED.add(message)) {
      log.info(message);
    }
  }
}
