package dev.lifeline.http;

import dev.lifeline.Authenticator;
import dev.lifeline.HttpService;
import dev.lifeline.http.internal.Frontend;
import dev.lifeline.transfer.FileTransferServer;
import java.time.Duration;
import java.util.Objects;

/**
 * HTTPS for ordinary clients on a Lifeline server's port: give what {@link Builder#build()}
 * returns to {@code LifelineServer.Builder#http}. Browsers, curl and monitoring then get, on the
 * same port as Lifeline clients (ALPN picks per connection):
 *
 * <ul>
 *   <li>{@code GET /files/NAME}: the complete files of a {@link FileTransferServer}, with {@code
 *       Range}, {@code If-Range} and a strong {@code ETag}, so {@code curl -C -} and browsers
 *       resume; partial uploads are never served. Clients are authorized by the server's
 *       {@link Authenticator} like Lifeline clients ({@code Authorization: Bearer} or {@code
 *       Basic} credentials, client certificate).
 *   <li>{@code GET /metrics}: Prometheus text (handshakes, resumes, replayed bytes, latencies,
 *       sessions, transfers).
 *   <li>{@code GET /}: a live status page; {@code GET /status.json}: what it shows.
 * </ul>
 *
 * <pre>{@code
 * FileTransferServer files = FileTransferServer.builder(dataDir.resolve("files")).build();
 * HttpService http = HttpFrontend.builder(files).build();
 * LifelineServer server = LifelineServer.builder()
 *     .handler(files.handler())
 *     .http(http)
 *     ...
 *     .start();
 * }</pre>
 *
 * <p>See {@code docs/http.md}.
 */
public final class HttpFrontend {
  private HttpFrontend() {}

  /** Starts configuring a frontend that serves the complete files of {@code files}. */
  public static Builder builder(FileTransferServer files) {
    return new Builder(Objects.requireNonNull(files, "files"));
  }

  /** Configures the HTTP side of a server; {@link #build()} may be called once per server. */
  public static final class Builder {
    private final FileTransferServer files;
    private Authenticator authenticator = Authenticator.DEFAULT;
    private Access statusAccess = Access.LOOPBACK;
    private Access metricsAccess = Access.LOOPBACK;
    private Duration idleTimeout = Duration.ofSeconds(60);
    private int maxRequestBytes = 16 * 1024;

    private Builder(FileTransferServer files) {
      this.files = files;
    }

    /**
     * Who may download: give the same authenticator as {@code LifelineServer.Builder
     * #authenticator}. Default {@link Authenticator#DEFAULT} (everyone, as the client
     * certificate's subject or anonymous).
     */
    public Builder authenticator(Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      return this;
    }

    /** Who may read {@code /} and {@code /status.json}; default {@link Access#LOOPBACK}. */
    public Builder statusAccess(Access access) {
      this.statusAccess = Objects.requireNonNull(access, "access");
      return this;
    }

    /** Who may read {@code /metrics}; default {@link Access#LOOPBACK}. */
    public Builder metricsAccess(Access access) {
      this.metricsAccess = Objects.requireNonNull(access, "access");
      return this;
    }

    /** An HTTP connection idle (nothing read or written) this long is closed; default 60s. */
    public Builder idleTimeout(Duration idleTimeout) {
      if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
        throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
      }
      this.idleTimeout = idleTimeout;
      return this;
    }

    /** The largest request head (request line plus headers) accepted; default 16 KiB. */
    public Builder maxRequestBytes(int maxRequestBytes) {
      if (maxRequestBytes < 1024) {
        throw new IllegalArgumentException(
            "maxRequestBytes: " + maxRequestBytes + " (expected: >= 1024)");
      }
      this.maxRequestBytes = maxRequestBytes;
      return this;
    }

    /** The service to give to {@code LifelineServer.Builder#http}; use it for one server. */
    public HttpService build() {
      return new Frontend(new Frontend.Settings(files, authenticator, statusAccess,
          metricsAccess, idleTimeout, maxRequestBytes));
    }
  }
}
