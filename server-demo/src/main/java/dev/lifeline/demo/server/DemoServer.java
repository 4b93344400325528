package dev.lifeline.demo.server;

import dev.lifeline.FileTicketKeyStore;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.TicketKeyStore;
import dev.lifeline.demo.common.DemoStores;
import dev.lifeline.demo.common.Units;
import dev.lifeline.http.Access;
import dev.lifeline.http.HttpFrontend;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.redis.RedisCheckpointStore;
import dev.lifeline.transfer.FileTransferServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running demo server: a {@link LifelineServer} with the file-transfer handler, its checkpoint
 * store and its TLS material, all under one data directory:
 *
 * <pre>
 * DATA_DIR/tls/       development CA and server certificate (or the ticket keys for --cert/--key)
 * DATA_DIR/sessions/  the embedded checkpoint store (not with a Redis --store)
 * DATA_DIR/files/     complete uploads; DATA_DIR/files/.partial/ uploads in progress
 * </pre>
 *
 * <p>The same port serves HTTPS to browsers and curl (ALPN {@code http/1.1} or none): complete
 * files at {@code /files/NAME}, the status page at {@code /} and {@code /metrics}.
 *
 * <p>With {@code --store redis://HOST:PORT} (one Redis primary) or {@code --store
 * redis-cluster://HOST:PORT[,HOST:PORT...]} (a Redis Cluster, given by some of its nodes)
 * sessions and TLS ticket keys live in Redis instead, and several servers may share one data
 * directory (certificates and files): a client resumes on any of them. The URI goes to {@link
 * RedisCheckpointStore#builder} unchanged; an unreachable or non-durable Redis fails {@link
 * #start} with a {@code StoreException} naming it.
 *
 * <p>Closing it stops the server before the store, so every checkpoint the server acknowledged
 * is durable when the process exits.
 */
final class DemoServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoServer.class);

  /** What {@link ServerMain} parsed; validated there. */
  record Settings(String host, int port, Path dataDir, Optional<Path> cert, Optional<Path> key,
      Duration idleTimeout, long maxFileSize, Duration sessionTtl, int maxConnections,
      int maxConnectionsPerSource, int maxHandshakesPerSource, Access statusAccess,
      Optional<String> redis, List<String> tlsGroups) {} // redis: a redis:// or cluster URI

  /** As the client's (TransferRunner): four checkpoint intervals of 16 MiB per session. */
  static final long REPLAY_BUFFER_BYTES = 64L << 20;

  private final CheckpointStore store;
  private final LifelineServer server;

  private DemoServer(CheckpointStore store, LifelineServer server) {
    this.store = store;
    this.server = server;
  }

  /**
   * Creates what is missing under the data directory and starts listening.
   *
   * @throws IOException with a message fit to show as is: it names the file, directory or
   *     address that cannot be used
   */
  static DemoServer start(Settings s) throws IOException {
    Path dataDir = s.dataDir().toAbsolutePath();
    createDirectory(dataDir, "--data-dir");
    FileTransferServer files = FileTransferServer.builder(dataDir.resolve("files"))
        .maxFileSize(s.maxFileSize())
        .build();
    CheckpointStore store;
    TicketKeyStore ticketKeys = null;
    if (s.redis().isPresent()) {
      RedisCheckpointStore redis = RedisCheckpointStore.builder(s.redis().get())
          .ttl(s.sessionTtl())
          .build();
      store = redis;
      ticketKeys = redis.ticketKeyStore();
    } else {
      store = DemoStores.open(dataDir.resolve("sessions"), s.sessionTtl());
    }
    try {
      ServerTlsConfig tls = tlsConfig(s, dataDir, ticketKeys);
      LifelineServer server = LifelineServer.builder()
          .host(s.host())
          .port(s.port())
          .tls(tls)
          .store(store)
          .handler(files.handler())
          .onSessionExpired(files::sessionExpired)
          .idleTimeout(s.idleTimeout())
          // A download's chunks wait in the replay buffer until the client's checkpoint (every
          // 16 MiB or second, after an fsync) acknowledges them: the buffer must hold more than
          // one checkpoint interval plus what is in flight, or sending stalls at every checkpoint.
          .replayBufferBytes(REPLAY_BUFFER_BYTES)
          .maxConnections(s.maxConnections())
          .maxConnectionsPerSource(s.maxConnectionsPerSource())
          .maxHandshakesPerSource(s.maxHandshakesPerSource())
          // Browsers and curl on the same port: downloads, status page, metrics (docs/http.md).
          .http(HttpFrontend.builder(files)
              .statusAccess(s.statusAccess())
              .metricsAccess(s.statusAccess())
              .build())
          .start();
      log.info("data in {}, uploads up to {}, interrupted transfers kept {}", dataDir,
          Units.formatBytes(s.maxFileSize()), Units.formatDuration(s.sessionTtl()));
      log.info("HTTPS on the same port: status page https://{}/ and /metrics ({}), "
          + "downloads at /files/NAME", server.address(), s.statusAccess());
      return new DemoServer(store, server);
    } catch (IOException e) {
      store.close();
      throw e;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** {@code ticketKeys}: the shared ring, or null for the file under DATA_DIR/tls. */
  private static ServerTlsConfig tlsConfig(Settings s, Path dataDir, TicketKeyStore ticketKeys)
      throws IOException {
    Path tlsDir = dataDir.resolve("tls");
    ServerTlsConfig.Builder b = ServerTlsConfig.builder();
    if (s.cert().isPresent()) {
      requireReadable(s.cert().get(), "--cert");
      requireReadable(s.key().orElseThrow(), "--key");
      createDirectory(tlsDir, "--data-dir");
      // Tickets must outlive a restart, or every returning client pays a full handshake.
      b.certificate(s.cert().get(), s.key().get())
          .ticketKeyStore(new FileTicketKeyStore(tlsDir.resolve("ticket-keys")));
    } else {
      b.developmentCertificates(tlsDir);
    }
    if (ticketKeys != null) {
      b.ticketKeyStore(ticketKeys); // every node encrypts tickets the others can decrypt
    }
    if (!s.tlsGroups().isEmpty()) {
      b.keyExchangeGroups(s.tlsGroups().toArray(new String[0]));
    }
    return b.build();
  }

  private static void createDirectory(Path dir, String option) throws IOException {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IOException(option + ": cannot create directory " + dir + " (" + e + ")", e);
    }
    if (!Files.isWritable(dir)) {
      throw new IOException(option + ": directory " + dir + " is not writable");
    }
  }

  private static void requireReadable(Path file, String option) throws IOException {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new IOException(option + ": " + file + " is not a readable file");
    }
  }

  /** "HOST:PORT" the server really listens on. */
  String address() {
    return server.address();
  }

  @Override
  public void close() {
    log.info("stopping");
    server.close();
    store.close();
    log.info("stopped; sessions and partial uploads are kept for a restart");
  }
}
