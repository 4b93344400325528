package dev.lifeline.docs;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.FileTicketKeyStore;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.HandshakeStats;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.TlsProvider;
import java.nio.file.Path;
import java.time.Duration;

/** The configuration quoted in docs/tls.md. */
public final class TlsResumptionSample {
  private TlsResumptionSample() {
  }

  /** A production server: own certificate, persisted and rotating ticket keys, session cache. */
  public static ServerTlsConfig productionServer(Path dataDir) {
    return ServerTlsConfig.builder()
        .certificate(Path.of("/etc/lifeline/server.pem"), Path.of("/etc/lifeline/server.key"))
        .ticketKeyStore(new FileTicketKeyStore(dataDir.resolve("tls/ticket-keys")))
        .ticketKeyRotationInterval(Duration.ofHours(12)) // a new key encrypts every 12 h
        .retainedTicketKeys(2) // tickets up to 36 h old still resume
        .sessionCacheSize(20_000) // TLS 1.2 session ids
        .sessionTimeout(Duration.ofHours(24)) // how long a session or ticket may be resumed
        .handshakeTimeout(Duration.ofSeconds(10))
        .maxConcurrentHandshakes(256)
        .provider(TlsProvider.AUTO)
        .build();
  }

  /** A development server: CA and certificate created under dataDir/tls on first start. */
  public static ServerTlsConfig developmentServer(Path dataDir) {
    return ServerTlsConfig.builder()
        .developmentCertificates(dataDir.resolve("tls"))
        .build();
  }

  /** The matching client: trusts the development CA, remembers sessions for a day. */
  public static ClientTlsConfig client(Path dataDir) {
    return ClientTlsConfig.builder()
        .trustedCa(dataDir.resolve("tls/ca.pem"))
        .sessionTimeout(Duration.ofHours(24))
        .build();
  }

  /**
   * A server that gives up post-quantum key exchange for cheaper handshakes: classical X25519
   * first, P-256 for clients without it. Every client of this server then records traffic that a
   * future quantum computer could decrypt.
   */
  public static ServerTlsConfig classicalKeyExchangeServer(Path dataDir) {
    return ServerTlsConfig.builder()
        .developmentCertificates(dataDir.resolve("tls"))
        .keyExchangeGroups("x25519", "secp256r1")
        .build();
  }

  /** A client that insists on the post-quantum hybrid: servers without it fail the handshake. */
  public static ClientTlsConfig postQuantumOnlyClient(Path dataDir) {
    return ClientTlsConfig.builder()
        .trustedCa(dataDir.resolve("tls/ca.pem"))
        .protocols("TLSv1.3") // X25519MLKEM768 exists in TLS 1.3 only
        .keyExchangeGroups("X25519MLKEM768")
        .build();
  }

  /** Logs handshakes that did not use the post-quantum hybrid (e.g. an older peer's). */
  public static HandshakeListener warnOnClassicalKeyExchange(java.util.function.Consumer<String> log) {
    return event -> event.keyExchangeGroup()
        .filter(group -> !group.equals("X25519MLKEM768"))
        .ifPresent(group -> log.accept(event.peer() + " negotiated " + group));
  }

  /** Share of server handshakes that were resumed, from the counters. */
  public static double resumedShare(HandshakeStats stats) {
    HandshakeStats.Snapshot s = stats.snapshot();
    long resumed = s.resumed(HandshakeEvent.Side.SERVER);
    long total = resumed + s.full(HandshakeEvent.Side.SERVER);
    return total == 0 ? 0 : (double) resumed / total;
  }
}
