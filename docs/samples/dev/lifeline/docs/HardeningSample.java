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
        .maxConnectionsPerSource(500) // per IPv4 address or IPv6 /64: no source takes them all
        .maxHandshakesPerSource(64) // one source stalling handshakes holds at most 64 slots
        .idleTimeout(Duration.ofSeconds(30)) // no OPEN/RESUME, or a silent peer: closed
        .maxSessions(2_000) // 2,000 x (replay + inbound) = at most ~1.2 GiB of buffers
        .maxSessionsPerIdentity(20) // one user cannot take every session
        .replayBufferBytes(512 * 1024)
        .inboundQueueBytes(128 * 1024)
        .maxMessageSize(256 * 1024)
        .refusalLimit(20, 2) // per source: 20 refused attempts, then 2 a second
        .start();
  }

  /**
   * Behind a load balancer that connects from its own few addresses, every client shares the
   * balancer's source: lift the per-source limits to the server's and limit sources at the
   * balancer instead (the refusal limit, also per source, should then be raised as well).
   */
  public static LifelineServer behindLoadBalancer(Path dataDir, SessionHandler handler)
      throws IOException {
    return LifelineServer.builder()
        .host("10.0.0.5")
        .port(7443)
        .tls(ServerTlsConfig.builder()
            .certificate(Path.of("/etc/lifeline/server.pem"), Path.of("/etc/lifeline/server.key"))
            .build())
        .store(FileCheckpointStore.open(dataDir.resolve("sessions")))
        .handler(handler)
        .maxConnections(8_000)
        .maxConnectionsPerSource(8_000) // the balancer is one source: no per-source cap here
        .maxHandshakesPerSource(256) // as many as the default maxConcurrentHandshakes
        .refusalLimit(10_000, 1_000) // the balancer's bucket is every client's bucket
        .start();
  }
}
