package dev.lifeline.docs;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionRefusedException;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.testing.ChaosSpec;
import dev.lifeline.testing.FaultProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sender and the durable receiver that docs/reliable-clients.md quotes do what the page says:
 * every record arrives once and in order through connection resets and a {@code kill -9} of the
 * server. The server runs in a child JVM killed with SIGKILL while records stream in, so its
 * records file may hold records no checkpoint covers (in the page cache, which survives the
 * kill), and the test adds a half-written one: the restarted server's sink must cut them off, or
 * they arrive twice and the file has a broken line. The client runs in this JVM, behind a {@link
 * FaultProxy} that resets its connection three times.
 */
class ReliableClientSamplesTest {
  private static final long RECORDS = 5_000;

  @Test
  @Timeout(90)
  void everyRecordArrivesOnceAndInOrderThroughCutsAndAKilledServer(@TempDir Path dir)
      throws Exception {
    Path data = dir.resolve("server");
    Process server = startServer(data, dir.resolve("server-1.out"));
    try (FaultProxy proxy = FaultProxy.start("127.0.0.1", portOf(dir.resolve("server-1.out")))) {
      // Three resets within the first ~600 KB of the ~1 MB of records.
      proxy.setPlan(ChaosSpec.parse("cut=32K..192K,mode=rst,count=3"), 20);
      CompletableFuture<Void> shipped = CompletableFuture.runAsync(() -> {
        try {
          ReliableSenderSample.ship(dir.resolve("client"), data.resolve("tls/ca.pem"),
              proxy.port(), RECORDS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });

      // kill -9 once a third of the records is in the file, then start again on the same
      // data directory, behind the same proxy.
      await().atMost(45, SECONDS)
          .until(() -> recordsStored(data) > RECORDS / 3 || shipped.isDone());
      long before = recordsStored(data);
      server.destroyForcibly().waitFor(); // SIGKILL
      // Whether the records after the last checkpoint are many or none depends on timing; a
      // record half written when the process died is always beyond it, so add one.
      Files.write(onlyRecordsFile(data),
          "999999 torn by the kill".getBytes(StandardCharsets.US_ASCII),
          StandardOpenOption.APPEND);
      server = startServer(data, dir.resolve("server-2.out"));
      proxy.setTarget("127.0.0.1", portOf(dir.resolve("server-2.out")));

      shipped.get(60, SECONDS);
      assertTrue(before < RECORDS, "the server was killed before the last record: " + before);
      assertEquals(3, proxy.cuts(), "connections reset by the proxy");
    } finally {
      server.destroyForcibly().waitFor();
    }
    assertRecords(Files.readAllLines(onlyRecordsFile(data), StandardCharsets.US_ASCII), RECORDS);
  }

  /**
   * The page's refused-resume path: the server forgets the session (as when it expired), {@code
   * open} fails and keeps the client's state, and {@code openNew} continues the producer where it
   * was. The server had stored everything the client saw acknowledged, so the new session starts
   * from nothing there and its sink writes a file of its own: the files, in order, hold every
   * record once.
   */
  @Test
  @Timeout(60)
  void openNewAfterARefusedResumeGoesOnWhereTheProducerWasAndStoresEachRecordOnce(@TempDir Path dir)
      throws Exception {
    Path data = dir.resolve("server");
    FileCheckpointStore sessions = FileCheckpointStore.open(data.resolve("sessions"));
    LifelineServer server = DurableReceiverSample.shipperServer(data, sessions, 0);
    int port = server.port();
    FileCheckpointStore clientStore = FileCheckpointStore.open(dir.resolve("client"));
    try {
      String sessionId;
      try (LifelineClient client = client(data, port, clientStore)) {
        Session session = client.open("telemetry", new SessionHandler.SendOnly() {}).get();
        sessionId = session.id();
        send(session, 1, 300).get(30, SECONDS);
      } // the client stops; its session stays resumable
      server.close();
      sessions.delete(sessionId).get(10, SECONDS); // the server forgets it
      sessions.close();
      sessions = FileCheckpointStore.open(data.resolve("sessions"));
      server = DurableReceiverSample.shipperServer(data, sessions, port);

      try (LifelineClient client = client(data, port, clientStore)) {
        ExecutionException refused = assertThrows(ExecutionException.class,
            () -> client.open("telemetry", new SessionHandler.SendOnly() {}).get());
        assertEquals(ErrorCode.UNKNOWN_SESSION,
            assertInstanceOf(SessionRefusedException.class, refused.getCause()).code());
        Session session = client.openNew("telemetry", new SessionHandler.SendOnly() {}).get();
        assertEquals(300, session.handedOver(), "the producer goes on where it was");
        send(session, session.handedOver() + 1, 600).get(30, SECONDS);
        session.close(Duration.ofSeconds(10)).get();
      }
    } finally {
      server.close();
      sessions.close();
      clientStore.close();
    }
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(data.resolve("records"))) {
      for (Path file : files.sorted(Comparator.comparing(ReliableClientSamplesTest::firstRecord))
          .toList()) {
        lines.addAll(Files.readAllLines(file, StandardCharsets.US_ASCII));
      }
    }
    assertRecords(lines, 600);
  }

  private static LifelineClient client(Path data, int port, FileCheckpointStore store)
      throws IOException {
    return LifelineClient.builder()
        .server("localhost", port)
        .tls(ClientTlsConfig.builder().trustedCa(data.resolve("tls/ca.pem")).build())
        .store(store)
        .durableOutbox(true)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30))
        .build();
  }

  /** Sends records {@code from..to}; completes when the server acknowledged the last. */
  private static CompletableFuture<Void> send(Session session, long from, long to)
      throws Exception {
    CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
    for (long n = from; n <= to; n++) {
      last = session.send(ReliableSenderSample.record(n));
    }
    return last;
  }

  private static long firstRecord(Path file) {
    try (Stream<String> lines = Files.lines(file, StandardCharsets.US_ASCII)) {
      String first = lines.findFirst().orElse("0 ");
      return Long.parseLong(first.substring(0, first.indexOf(' ')));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The lines are records 1..count, each once, in order, and nothing else. */
  private static void assertRecords(List<String> lines, long count) {
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      assertEquals(String.valueOf(i + 1), line.substring(0, line.indexOf(' ')), "line " + (i + 1));
    }
    assertEquals(count, lines.size(), "records stored");
  }

  private static Process startServer(Path data, Path out) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-Xmx128m",
        "-cp", System.getProperty("java.class.path"), ShipperServerChild.class.getName(),
        data.toString())
        .redirectOutput(out.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /** The port a child printed in {@code listening on HOST:PORT}, once it has. */
  private static int portOf(Path out) {
    String line = await().atMost(30, SECONDS).until(() -> listeningLine(out), l -> l != null);
    return Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
  }

  private static String listeningLine(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
        .filter(l -> l.startsWith("listening on ")).findFirst().orElse(null);
  }

  /** About how many records the server's files hold (records are about 200 bytes). */
  private static long recordsStored(Path data) throws IOException {
    Path dir = data.resolve("records");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    long bytes = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        bytes += Files.size(f);
      }
    }
    return bytes / ReliableSenderSample.record(1).length;
  }

  private static Path onlyRecordsFile(Path data) throws IOException {
    try (Stream<Path> files = Files.list(data.resolve("records"))) {
      List<Path> all = files.toList();
      assertEquals(1, all.size(), "records files (one session): " + all);
      return all.get(0);
    }
  }
}
