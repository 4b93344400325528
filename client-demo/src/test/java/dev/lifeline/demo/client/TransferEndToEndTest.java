package dev.lifeline.demo.client;

import static dev.lifeline.demo.client.ClientProcess.field;
import static dev.lifeline.demo.client.ClientProcess.longField;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.demo.common.DemoStores;
import dev.lifeline.demo.testing.ChildJvm;
import dev.lifeline.demo.testing.ServerProcess;
import dev.lifeline.demo.testing.TestFiles;
import dev.lifeline.store.CheckpointStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demos end to end, each process a real JVM killed with SIGKILL: the server during an upload
 * and during a download, the client during an upload (then the same command again). Every
 * transfer must finish with the right SHA-256, continue rather than start over, and leave no
 * partial file, session or leaked buffer behind.
 *
 * <p>Loopback is too fast to kill a process "somewhere in the middle" reliably, so each transfer
 * gets one black-hole cut ({@link #STALL}): the connection goes silent at a known point and stays
 * so for the 2 s idle timeout, and the test kills a process inside that window.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TransferEndToEndTest {
  static final long SIZE = 64L << 20;
  static final String STALL = "cut=24M..28M,mode=blackhole,count=1";
  /** Logged by the client (with -v) when its chaos cut happens. */
  static final String CUT_LOGGED = "chaos: cutting";
  /**
   * Time for the receiver to write, sync and checkpoint what arrived before the cut; well inside
   * the 2 s the black hole lasts, so the kill still lands in the stall.
   */
  static final Duration SETTLE = Duration.ofMillis(1000);

  @TempDir Path dir;
  Path data;
  Path serverLog;
  Path state;
  Path source;
  String sourceSha;
  final List<ClientProcess> clients = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    data = dir.resolve("data");
    serverLog = dir.resolve("server.log");
    state = dir.resolve("client-state");
    source = TestFiles.random(dir.resolve("big.bin"), SIZE, 42);
    sourceSha = TestFiles.sha256(source);
  }

  private List<String> args(String command, String target, ServerProcess server) {
    List<String> a = new ArrayList<>(command.equals("upload")
        ? List.of("upload", source.toString(), "--name", target)
        : List.of("download", target, "--to", dir.resolve("copy.bin").toString()));
    a.addAll(List.of("--server", server.address(), "--ca", data.resolve("tls/ca.pem").toString(),
        "--state", state.toString(), "--idle-timeout", "2s", "--chaos", STALL, "--json", "-v"));
    return a;
  }

  private ClientProcess client(String name, List<String> args) throws IOException {
    ClientProcess c = ClientProcess.start(dir, name, args);
    clients.add(c);
    return c;
  }

  /** Waits for the client's black-hole cut, then for the receiver to checkpoint what it got. */
  private void awaitCut(ClientProcess c) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!c.err().contains(CUT_LOGGED)) {
      if (!c.process().isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("no chaos cut seen; client exit "
            + (c.process().isAlive() ? "-" : c.process().exitValue()) + ", stderr:\n" + c.err()
            + "\nserver log:\n" + ChildJvm.read(serverLog));
      }
      Thread.sleep(20);
    }
    Thread.sleep(SETTLE.toMillis());
    assertTrue(c.process().isAlive(), "still inside the stall: " + c.err());
  }

  @Test
  void uploadSurvivesServerKill() throws Exception {
    ServerProcess server = ServerProcess.start(data, 0, serverLog);
    try {
      ClientProcess upload = client("upload", args("upload", "big.bin", server));
      awaitCut(upload);
      server.kill();
      server = ServerProcess.start(data, server.port(), serverLog);
      assertSucceeded(upload);
      String json = upload.json();
      assertTrue(longField(json, "reconnects") >= 1, json);
      long serverFrom = lastLoggedOffset("continuing \"big.bin\" from byte ");
      assertTrue(serverFrom > 0 && serverFrom < SIZE,
          "the restarted server continued from its checkpoint, not zero: " + serverFrom);
      // The client replayed from memory, yet its summary says where the server continued.
      assertEquals(serverFrom, longField(json, "resumedFromOffset"), json);
      assertEquals(sourceSha, TestFiles.sha256(data.resolve("files/big.bin")));
      server.awaitNoSessionHeld(Duration.ofSeconds(30));
      assertEquals(143, server.stop());
    } finally {
      server.close();
    }
    assertNothingLeftBehind(List.of("big.bin"));
  }

  @Test
  void uploadContinuesWhenTheSameCommandRunsAgainAfterClientKill() throws Exception {
    try (ServerProcess server = ServerProcess.start(data, 0, serverLog)) {
      List<String> command = args("upload", "big.bin", server);
      ClientProcess first = client("upload-1", command);
      awaitCut(first);
      first.kill();
      ClientProcess again = client("upload-2", command);
      assertSucceeded(again);
      String json = again.json();
      long from = longField(json, "resumedFromOffset");
      assertTrue(from > 0 && from < SIZE, "continued, not restarted from zero: " + json);
      assertEquals(sourceSha, TestFiles.sha256(data.resolve("files/big.bin")));
      server.awaitNoSessionHeld(Duration.ofSeconds(30));
      assertEquals(143, server.stop());
    }
    assertNothingLeftBehind(List.of("big.bin"));
  }

  @Test
  void downloadSurvivesServerKill() throws Exception {
    Files.createDirectories(data.resolve("files"));
    Files.copy(source, data.resolve("files/served.bin"));
    ServerProcess server = ServerProcess.start(data, 0, serverLog);
    try {
      ClientProcess download = client("download", args("download", "served.bin", server));
      awaitCut(download);
      server.kill();
      server = ServerProcess.start(data, server.port(), serverLog);
      assertSucceeded(download);
      String json = download.json();
      assertEquals("served.bin", field(json, "name"));
      assertTrue(longField(json, "reconnects") >= 1, json);
      assertEquals(sourceSha, TestFiles.sha256(dir.resolve("copy.bin")));
      assertFalse(Files.exists(dir.resolve("copy.bin.part")));
      long resentFrom = lastLoggedOffset("sent \"served.bin\" from byte ");
      assertTrue(resentFrom > 0 && resentFrom < SIZE,
          "the restarted server sent from the client's checkpoint, not zero: " + resentFrom);
      assertEquals(resentFrom, longField(json, "resumedFromOffset"), json);
      server.awaitNoSessionHeld(Duration.ofSeconds(30));
      assertEquals(143, server.stop());
    } finally {
      server.close();
    }
    assertNothingLeftBehind(List.of("served.bin"));
  }

  @Test
  void downloadContinuesWhenTheSameCommandRunsAgainAfterClientKill() throws Exception {
    downloadContinuesAfterClientKill(List.of());
  }

  /**
   * {@code --no-fsync}: the part file is never synced, yet a killed client continues from its
   * checkpoint, because the kernel keeps the pages of a dead process.
   */
  @Test
  void downloadWithoutFsyncContinuesAfterClientKill() throws Exception {
    downloadContinuesAfterClientKill(List.of("--no-fsync"));
  }

  private void downloadContinuesAfterClientKill(List<String> extra) throws Exception {
    Files.createDirectories(data.resolve("files"));
    Files.copy(source, data.resolve("files/served.bin"));
    try (ServerProcess server = ServerProcess.start(data, 0, serverLog)) {
      List<String> command = new ArrayList<>(args("download", "served.bin", server));
      command.addAll(extra);
      ClientProcess first = client("download-1", command);
      awaitCut(first);
      first.kill();
      assertTrue(Files.size(dir.resolve("copy.bin.part")) > 0);
      ClientProcess again = client("download-2", command);
      assertSucceeded(again);
      long from = longField(again.json(), "resumedFromOffset");
      assertTrue(from > 0 && from < SIZE, "continued, not restarted from zero: " + again.json());
      assertEquals(sourceSha, TestFiles.sha256(dir.resolve("copy.bin")));
      assertFalse(Files.exists(dir.resolve("copy.bin.part")));
      server.awaitNoSessionHeld(Duration.ofSeconds(30));
      assertEquals(143, server.stop());
    }
    assertNothingLeftBehind(List.of("served.bin"));
  }

  /**
   * What a machine crash can do to an unsynced part file: bytes its checkpoint describes read
   * back as zeros. The re-run must notice (the prefix's SHA-256), say so, and start over, never
   * complete a file with a hole in it.
   */
  @Test
  void downloadStartsOverAndSaysWhyWhenThePartFileLostCheckpointedBytes() throws Exception {
    Files.createDirectories(data.resolve("files"));
    Files.copy(source, data.resolve("files/served.bin"));
    try (ServerProcess server = ServerProcess.start(data, 0, serverLog)) {
      List<String> command = new ArrayList<>(args("download", "served.bin", server));
      command.add("--no-fsync");
      ClientProcess first = client("download-1", command);
      awaitCut(first);
      first.kill();
      Path part = dir.resolve("copy.bin.part");
      assertTrue(Files.size(part) > 2 << 20, "the first run wrote into " + part);
      try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(part,
          java.nio.file.StandardOpenOption.WRITE)) {
        f.write(java.nio.ByteBuffer.allocate(1 << 20), 1 << 20); // a lost page range, as zeros
      }
      ClientProcess again = client("download-2", command);
      assertEquals(0, again.await(120), again.err());
      String json = again.json();
      assertTrue(again.err().contains("starts over from the beginning: copy.bin.part no longer "
          + "holds the "), again.err());
      assertEquals(0, longField(json, "resumedFromOffset"), json);
      assertEquals(sourceSha, field(json, "sha256"), json);
      assertEquals(sourceSha, TestFiles.sha256(dir.resolve("copy.bin")));
      server.awaitNoSessionHeld(Duration.ofSeconds(30));
      assertEquals(143, server.stop());
    }
    assertNothingLeftBehind(List.of("served.bin"));
  }

  /**
   * The offset in the server's last log line starting with {@code prefix}: where the server says
   * it picked a transfer up, to compare with the client's resumedFromOffset.
   */
  private long lastLoggedOffset(String prefix) {
    Matcher m = Pattern.compile(Pattern.quote(prefix) + "(\\d+)").matcher(ChildJvm.read(serverLog));
    long last = -1;
    while (m.find()) {
      last = Long.parseLong(m.group(1));
    }
    assertTrue(last >= 0, "'" + prefix + "' in the server log:\n" + ChildJvm.read(serverLog));
    return last;
  }

  /** Exit 0, one JSON line whose hash is the source's, and no restart from zero. */
  private void assertSucceeded(ClientProcess c) throws InterruptedException {
    int code = c.await(120);
    assertEquals(0, code, "client stderr:\n" + c.err() + "\nserver log:\n"
        + ChildJvm.read(serverLog));
    String json = c.json();
    System.out.println(getClass().getSimpleName() + ": " + json); // kept in the surefire report
    assertEquals(sourceSha, field(json, "sha256"), json);
    assertEquals(SIZE, longField(json, "bytes"), json);
    assertFalse(c.err().contains("starts over"), c.err());
  }

  /**
   * Only the complete files on the server (and the checksum cache in .meta/), no session in
   * either store, no leaked buffer in any process's log.
   */
  private void assertNothingLeftBehind(List<String> files) throws Exception {
    try (Stream<Path> all = Files.walk(data.resolve("files"))) {
      assertEquals(files, all.filter(Files::isRegularFile)
          .map(p -> data.resolve("files").relativize(p).toString())
          .filter(p -> !p.startsWith(".meta/")).sorted().toList());
    }
    for (Path store : List.of(data.resolve("sessions"), state)) {
      try (CheckpointStore s = DemoStores.open(store, Duration.ofHours(1))) {
        assertEquals(List.of(), s.ids().get(10, TimeUnit.SECONDS), "sessions left in " + store);
      }
    }
    String serverText = ChildJvm.read(serverLog);
    assertFalse(serverText.contains("LEAK:"), serverText);
    for (ClientProcess c : clients) {
      assertFalse(c.err().contains("LEAK:"), c.err());
    }
  }
}
