package dev.lifeline.examples.shipper;

import dev.lifeline.DurableReceiver;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.demo.common.DemoStores;
import dev.lifeline.store.CheckpointStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving half of the telemetry shipper: a {@link LifelineServer} whose sessions all
 * acknowledge only what a checkpoint made durable ({@code autoAcknowledge(false)}), and a {@link
 * DurableReceiver} that appends each record to the {@code --out} file and checkpoints it on the
 * library's cadence. Nothing here is hand-written durability: the sink says how to write, fsync
 * and truncate the file ({@link RecordFile}), the library decides when.
 *
 * <pre>{@code
 * RecordFile records = RecordFile.open(out);
 * LifelineServer server = LifelineServer.builder()
 *     .port(7443)
 *     .tls(ServerTlsConfig.builder().developmentCertificates(dataDir.resolve("tls")).build())
 *     .store(FileCheckpointStore.open(dataDir.resolve("sessions")))
 *     .autoAcknowledge(false)
 *     .handler(DurableReceiver.builder(records::sinkFor).build())
 *     .start();
 * }</pre>
 *
 * <p>Closing it stops the server before the store and the file, so every checkpoint it
 * acknowledged is durable when the process exits.
 */
final class ShipperServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShipperServer.class);
  /** Expired sessions are looked for at least this often. */
  static final Duration MAX_SWEEP_INTERVAL = Duration.ofMinutes(1);

  /** What {@link ShipperServerCommand} parsed. */
  record Settings(String host, int port, Path dataDir, Path out, Duration idleTimeout,
      Duration sessionTtl) {}

  private final LifelineServer server;
  private final CheckpointStore store;
  private final RecordFile records;

  private ShipperServer(LifelineServer server, CheckpointStore store, RecordFile records) {
    this.server = server;
    this.store = store;
    this.records = records;
  }

  /**
   * Creates what is missing (the data directory, development certificates under DIR/tls, the
   * store under DIR/sessions, the out file) and starts listening.
   *
   * @throws IOException with a message fit to show as is
   */
  static ShipperServer start(Settings s) throws IOException {
    Path dataDir = s.dataDir().toAbsolutePath();
    Files.createDirectories(dataDir);
    RecordFile records = RecordFile.open(s.out());
    CheckpointStore store = null;
    try {
      store = DemoStores.open(dataDir.resolve("sessions"), s.sessionTtl());
      Duration halfTtl = s.sessionTtl().dividedBy(2);
      LifelineServer server = LifelineServer.builder()
          .host(s.host())
          .port(s.port())
          .tls(ServerTlsConfig.builder().developmentCertificates(dataDir.resolve("tls")).build())
          .store(store)
          .autoAcknowledge(false) // every session, restored ones too: acknowledge on checkpoint
          .idleTimeout(s.idleTimeout())
          .sweepInterval(halfTtl.compareTo(MAX_SWEEP_INTERVAL) < 0 && !halfTtl.isZero()
              ? halfTtl : MAX_SWEEP_INTERVAL)
          .handler(DurableReceiver.builder(records::sinkFor).build())
          .start();
      log.info("appending records to {}; sessions in {}", s.out().toAbsolutePath(),
          dataDir.resolve("sessions"));
      return new ShipperServer(server, store, records);
    } catch (IOException | RuntimeException e) {
      if (store != null) {
        store.close();
      }
      records.close();
      throw e;
    }
  }

  /** "HOST:PORT" the server listens on. */
  String address() {
    return server.address();
  }

  @Override
  public void close() throws IOException {
    server.close();
    store.close();
    records.close();
  }
}
