package dev.lifeline.transfer;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * A transfer server on real TLS over loopback for the tree download tests, which records the
 * names of every GET it receives, and the trees they move.
 */
final class TreeDownloadFixture implements AutoCloseable {
  final Path dir;
  final CheckpointStore serverStore = InMemoryCheckpointStore.builder().build();
  CheckpointStore clientStore = InMemoryCheckpointStore.builder().build();
  /** Wraps the server's handler (after the GET recorder), for tests that act on its events. */
  java.util.function.UnaryOperator<SessionHandler> wrapServer = h -> h;
  /** Every name asked for by a GET, in order. */
  final List<String> asked = new CopyOnWriteArrayList<>();
  /** GETs that start a request naming files. */
  final java.util.concurrent.atomic.AtomicInteger requests =
      new java.util.concurrent.atomic.AtomicInteger();
  long serverReplayBytes = 32L << 20;
  LifelineServer server;
  int port;

  TreeDownloadFixture(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(files());
    startServer();
  }

  Path files() {
    return dir.resolve("data/files");
  }

  Path ca() {
    return dir.resolve("data/tls/ca.pem");
  }

  void startServer() throws IOException {
    FileTransferServer fts = FileTransferServer.builder(files())
        .checkpointEvery(1 << 20, Duration.ofMillis(200)).build();
    server = LifelineServer.builder()
        .port(port)
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("data/tls")).build())
        .store(serverStore)
        .replayBufferBytes(serverReplayBytes)
        .handler(wrapServer.apply(recordingGets(fts.handler())))
        .idleTimeout(Duration.ofSeconds(1))
        .start();
    port = server.port();
  }

  void restartServer() throws IOException {
    server.close();
    startServer();
  }

  LifelineClient client() throws IOException {
    return LifelineClient.builder()
        .server("localhost", port)
        .tls(ClientTlsConfig.builder().trustedCa(ca()).build())
        .store(clientStore)
        .idleTimeout(Duration.ofSeconds(1))
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60))
        .build();
  }

  FileTransferClient transfers(LifelineClient client) {
    return new FileTransferClient(client, "localhost:" + port);
  }

  private SessionHandler recordingGets(SessionHandler h) {
    return new TransferTest.Delegating(h) {
      @Override
      public void onMessage(Session session, long seq, ByteBuffer m) throws Exception {
        if (m.remaining() > 26 && m.get(m.position()) == 0x15) {
          ByteBuffer b = m.duplicate();
          b.position(b.position() + 1 + 4 + 1 + 16);
          int count = b.getInt();
          if ((m.get(m.position() + 5) & 1) != 0 && count > 0) {
            requests.incrementAndGet();
          }
          for (int i = 0; i < count; i++) {
            byte[] n = new byte[b.getShort() & 0xffff];
            b.get(n);
            asked.add(new String(n, StandardCharsets.UTF_8));
          }
        }
        super.onMessage(session, seq, m);
      }
    };
  }

  /** Writes {@code bytes} random bytes (seeded by the name) to {@code files()/name}. */
  Path serverFile(String name, int bytes) throws IOException {
    byte[] data = new byte[bytes];
    new Random(name.hashCode() * 31L + bytes).nextBytes(data);
    Path p = files().resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, data);
    Files.setLastModifiedTime(p, FileTime.fromMillis(1_600_000_000_000L + bytes * 1000L));
    return p;
  }

  /** {@code count} files of {@code bytes} under {@code prefix}, spread over a few directories. */
  List<String> serverTree(String prefix, int count, int bytes) throws IOException {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = prefix + "/d" + (i % 7) + "/f" + i + ".bin";
      serverFile(name, bytes);
      names.add(name);
    }
    return names;
  }

  static String sha(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(p)));
  }

  /** Every file and directory under {@code root}, relative, sorted; "/" after directories. */
  static List<String> tree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> !p.equals(root))
          .map(p -> root.relativize(p) + (Files.isDirectory(p) ? "/" : "")).sorted().toList();
    }
  }

  /** Asserts that {@code out} holds exactly the files (and contents, times) under prefix. */
  void assertSameTree(String prefix, Path out) throws Exception {
    Path src = files().resolve(prefix);
    List<String> expected = tree(src);
    List<String> actual = tree(out);
    org.junit.jupiter.api.Assertions.assertEquals(expected, actual);
    for (String rel : expected) {
      if (!rel.endsWith("/")) {
        Path a = src.resolve(rel);
        Path b = out.resolve(rel);
        org.junit.jupiter.api.Assertions.assertEquals(sha(a), sha(b), rel);
        org.junit.jupiter.api.Assertions.assertEquals(Files.getLastModifiedTime(a).toMillis(),
            Files.getLastModifiedTime(b).toMillis(), rel);
      }
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
