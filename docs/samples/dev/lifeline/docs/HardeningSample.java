package dev.lifeline.docs;

import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.FileCheckpointStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** The limits quoted in docs/security.md. */
public final class HardeningSample {
  private HardeningSample() {
  }

  /** A server facing the Internet: every limit set on purpose, sized to a 2 GiB heap. */
  public static LifelineServer exposedServer(Path dataDir, SessionHandler handler)
      throws IOException {
    return LifelineServer.builder()
        .host("0.0.0.0")
        .port(7443)
        .tls(ServerTlsConfig.builder()
            .certificate(Path.of("/etc/lifeline/server.pem"), Path.of("/etc/lifeline/server.key"))
            .handshakeTimeout(Duration.ofSeconds(5)) // a stalled handshake holds a slot this long
            .maxConcurrentHandshakes(1_024) // stalls cost no CPU: allow many, bounded below
            .build())
        .store(FileCheckpointStore.open(dataDir.resolve("sessions")))
        .handler(handler)
        .maxConnections(8_000) // below ulimit -n; beyond it: closed at accept, before TLS
        .idleTimeout(Duration.ofSeconds(30)) // no OPEN/RESUME, or a silent peer: closed
        .maxSessions(2_000) // 2,000 x (replay + inbound) = at most ~1.2 GiB of buffers
        .maxSessionsPerIdentity(20) // one user cannot take every session
        .replayBufferBytes(512 * 1024)
        .inboundQueueBytes(128 * 1024)
        .maxMessageSize(256 * 1024)
        .refusalLimit(20, 2) // per source: 20 refused attempts, then 2 a second
        .start();
  }
}
