package dev.lifeline;

import dev.lifeline.store.CheckpointStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Both ends of the durable receiver tests on loopback TLS, with the development certificates
 * under {@code dir/tls}; closes what it started, last first.
 */
final class ReceiverEnds implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(20);

  private final Path dir;
  private final List<AutoCloseable> closing = new ArrayList<>();

  ReceiverEnds(Path dir) {
    this.dir = dir;
  }

  ServerTlsConfig serverTls() throws Exception {
    return ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build();
  }

  /** A server on a free port. */
  LifelineServer server(SessionHandler handler) throws Exception {
    return closeLater(LifelineServer.builder().tls(serverTls()).handler(handler).start());
  }

  /** A client that reconnects quickly, for a minute. */
  LifelineClient client(int port) throws Exception {
    return closeLater(clientBuilder(port).build());
  }

  /** A client as {@link #client(int)} that keeps its sessions in {@code store}. */
  LifelineClient client(int port, CheckpointStore store) throws Exception {
    return closeLater(clientBuilder(port).store(store).build());
  }

  private LifelineClient.Builder clientBuilder(int port) {
    return LifelineClient.builder()
        .server("127.0.0.1", port)
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build())
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(60));
  }

  /** A client session to {@code server} that only sends. */
  Session sender(LifelineServer server) throws Exception {
    return client(server.port()).open("upload", new SessionHandler.SendOnly() {})
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  <T extends AutoCloseable> T closeLater(T closeable) {
    closing.add(closeable);
    return closeable;
  }

  /** Sends records {@code from..to}, each {@code size} bytes beginning with its number. */
  static List<CompletableFuture<Void>> sendRecords(Session session, long from, long to, int size)
      throws Exception {
    List<CompletableFuture<Void>> acked = new ArrayList<>();
    for (long n = from; n <= to; n++) {
      acked.add(session.send(ByteBuffer.allocate(size).putLong(n).array()));
    }
    return acked;
  }

  static void awaitAll(List<CompletableFuture<Void>> futures) throws Exception {
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }
}
