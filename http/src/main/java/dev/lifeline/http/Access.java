package dev.lifeline.http;

/**
 * Who may read the status page and the metrics of an {@link HttpFrontend}. File downloads are not
 * governed by this: they obey the server's {@link dev.lifeline.Authenticator}, like Lifeline
 * sessions.
 */
public enum Access {
  /** Clients connecting from a loopback address (127.0.0.0/8, ::1) only. The default. */
  LOOPBACK,
  /**
   * Clients that presented a verified certificate. Needs a server with mutual TLS ({@code
   * ServerTlsConfig.Builder#trustedClientCa}); without it nobody qualifies.
   */
  CLIENT_CERTIFICATE,
  /** Either of the above. */
  LOOPBACK_OR_CLIENT_CERTIFICATE,
  /** Everyone who completes the TLS handshake. */
  ANYONE,
  /** Nobody: the endpoint answers 404 as if it did not exist. */
  NOBODY
}
