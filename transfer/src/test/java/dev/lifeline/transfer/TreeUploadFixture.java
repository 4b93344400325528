package dev.lifeline.transfer;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tree-upload server on real TLS over loopback, restartable on its store and data directory,
 * and clients for it; shared by the TreeUpload*Test classes.
 */
class TreeUploadFixture implements AutoCloseable {
  final Path dir;
  final CheckpointStore serverStore = InMemoryCheckpointStore.builder().build();
  CheckpointStore clientStore = InMemoryCheckpointStore.builder().build();
  LifelineServer server;
  FileTransferServer files;
  int port;

  TreeUploadFixture(Path dir) throws IOException {
    this.dir = dir;
    startServer();
  }

  void startServer() throws IOException {
    files = FileTransferServer.builder(dir.resolve("data/files"))
        .checkpointEvery(1 << 20, Duration.ofMillis(200)).build();
    server = LifelineServer.builder()
        .port(port)
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("data/tls")).build())
        .store(serverStore)
        .handler(files.handler())
        .idleTimeout(Duration.ofSeconds(1))
        .start();
    port = server.port();
  }

  LifelineClient client(long replayBufferBytes) throws IOException {
    return client(replayBufferBytes, null);
  }

  /** A client whose connections are cut as {@code chaos} says ({@code --chaos} syntax). */
  LifelineClient client(long replayBufferBytes, String chaos) throws IOException {
    LifelineClient.Builder b = LifelineClient.builder()
        .server("localhost", port)
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("data/tls/ca.pem")).build())
        .store(clientStore)
        .idleTimeout(Duration.ofSeconds(1))
        .replayBufferBytes(replayBufferBytes)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60));
    if (chaos != null) {
      dev.lifeline.testing.Chaos.of(dev.lifeline.testing.ChaosSpec.parse(chaos), 21).install(b);
    }
    return b.build();
  }

  String server() {
    return "localhost:" + port;
  }

  Path stored(String name) {
    return dir.resolve("data/files").resolve(name);
  }

  @Override
  public void close() {
    server.close();
  }

  /** Writes {@code bytes} random bytes (seeded by the name) with a fixed old mtime. */
  static Path write(Path root, String name, int bytes) throws IOException {
    Path p = root.resolve(name);
    Files.createDirectories(p.getParent());
    byte[] data = new byte[bytes];
    new Random(name.hashCode()).nextBytes(data);
    Files.write(p, data);
    Files.setLastModifiedTime(p, FileTime.fromMillis(1_600_000_000_000L + bytes));
    return p;
  }

  static String sha(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(p)));
  }

  /** A listener that keeps notices and outcomes. */
  static class Recording implements TreeListener {
    final List<String> notices = new CopyOnWriteArrayList<>();
    final List<FileOutcome> finished = new CopyOnWriteArrayList<>();

    @Override
    public void notice(String message) {
      notices.add(message);
    }

    @Override
    public void fileFinished(FileOutcome outcome) {
      finished.add(outcome);
    }
  }
}
