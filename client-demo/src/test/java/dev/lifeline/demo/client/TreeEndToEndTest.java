package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.demo.testing.ChildJvm;
import dev.lifeline.demo.testing.ServerProcess;
import dev.lifeline.demo.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tree uploads and downloads through the real server and client: a round trip compared byte by
 * byte with modification times and empty directories, the {@code --json} lines (one per file,
 * the summary last) parsed and counted, exit 19 for a set in which files failed, and a client
 * killed with SIGKILL in the middle of an upload and of a download whose re-run sends nothing that
 * had finished.
 * One server for all, refusing files over 4 MiB so that one file of a set can fail.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TreeEndToEndTest {
  /** Logged by the client (with -v) when its chaos cut happens. */
  static final String CUT_LOGGED = "chaos: cutting";

  @TempDir static Path dir;
  static Path files;
  static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    files = dir.resolve("data/files");
    server = ServerProcess.start(dir.resolve("data"), 0, dir.resolve("server.log"),
        "--max-file-size", "4M");
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  private static List<String> args(String state, String... command) {
    List<String> args = new ArrayList<>(List.of(command));
    args.addAll(List.of("--server", server.address(),
        "--ca", dir.resolve("data/tls/ca.pem").toString(),
        "--state", dir.resolve("state-" + state).toString()));
    return args;
  }

  private static InProcessClient run(String state, String... command) {
    return InProcessClient.run(args(state, command).toArray(String[]::new));
  }

  /** The --json output of a tree transfer: per-file lines by name, and the summary. */
  record JsonOutput(Map<String, Map<String, String>> files, Map<String, String> summary) {
    static JsonOutput parse(String out) {
      List<String> lines = out.lines().toList();
      assertFalse(lines.isEmpty(), "no output");
      Map<String, Map<String, String>> files = new TreeMap<>();
      for (String line : lines.subList(0, lines.size() - 1)) {
        Map<String, String> f = FlatJson.parse(line);
        assertEquals(null, files.put(f.get("file"), f), "one line per file: " + out);
      }
      Map<String, String> summary = FlatJson.parse(lines.get(lines.size() - 1));
      assertTrue(summary.containsKey("prefix") && summary.containsKey("failed"), out);
      return new JsonOutput(files, summary);
    }

    long count(String status) {
      return files.values().stream().filter(f -> status.equals(f.get("status"))).count();
    }

    int summaryInt(String key) {
      return Integer.parseInt(summary.get(key));
    }
  }

  @Test
  void roundTripKeepsBytesTimesAndEmptyDirectories() throws Exception {
    Path src = dir.resolve("src");
    Files.createDirectories(src.resolve("nested/deeper"));
    Files.createDirectories(src.resolve("empty-dir"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    Files.createFile(src.resolve("empty.bin"));
    TestFiles.random(src.resolve("nested/deeper/c.bin"), 300_000, 5);
    Files.writeString(src.resolve("nested/ünïcødé ✓.txt"), "unicode");
    Files.writeString(src.resolve("nested/" + "n".repeat(251) + ".txt"), "255 bytes of name");
    long t = Instant.parse("2020-01-02T03:04:05Z").toEpochMilli();
    for (Path f : regularFiles(src).values()) {
      Files.setLastModifiedTime(f, FileTime.fromMillis(t += 61_000));
    }
    Map<String, Path> expected = regularFiles(src);

    InProcessClient up = run("rt", "upload", src.toString(), "--name", "rt", "--json");
    assertEquals(0, up.code(), up.err());
    JsonOutput upJson = JsonOutput.parse(up.out());
    assertEquals(prefixed("rt/", expected.keySet()), upJson.files().keySet());
    assertEquals(expected.size(), upJson.count("transferred"), up.out());
    assertEquals(expected.size(), upJson.summaryInt("files"));
    assertEquals(0, upJson.summaryInt("failed"));
    assertEquals(0, upJson.summaryInt("skipped"));
    long bytes = 0;
    for (Map.Entry<String, Path> e : expected.entrySet()) {
      bytes += Files.size(e.getValue());
      assertEquals(TestFiles.sha256(e.getValue()), upJson.files().get("rt/" + e.getKey())
          .get("sha256"));
    }
    assertEquals(bytes, Long.parseLong(upJson.summary().get("bytes")));
    assertSameTree(src, files.resolve("rt"));

    InProcessClient list = run("rt", "list", "rt");
    assertEquals(0, list.code(), list.err());
    assertEquals(expected.size(), list.out().lines().count(), list.out());

    Path copy = dir.resolve("copy");
    InProcessClient down = run("rt", "download", "rt/", "--to", copy.toString(), "--json");
    assertEquals(0, down.code(), down.err());
    JsonOutput downJson = JsonOutput.parse(down.out());
    assertEquals(expected.size(), downJson.count("transferred"), down.out());
    assertSameTree(src, copy);

    // The same command again: everything is there, verified; nothing is sent.
    InProcessClient again = run("rt", "upload", src.toString(), "--name", "rt", "--json");
    assertEquals(0, again.code(), again.err());
    JsonOutput againJson = JsonOutput.parse(again.out());
    assertEquals(expected.size(), againJson.count("skipped"), again.out());
    assertEquals(expected.size(), againJson.summaryInt("skipped"));
  }

  @Test
  void aSetWithFailedFilesExitsWithItsOwnCode() throws Exception {
    Path src = dir.resolve("partial");
    Files.createDirectories(src);
    Files.writeString(src.resolve("small.txt"), "fits");
    TestFiles.random(src.resolve("big.bin"), 5L << 20, 9); // over the server's 4M limit
    Files.writeString(src.resolve(".env"), "a name the server refuses: hidden");

    InProcessClient up = run("partial", "upload", src.toString(), "--json");
    assertEquals(ExitCodes.SOME_FILES_FAILED, up.code(), up.err());
    JsonOutput json = JsonOutput.parse(up.out());
    for (String failed : List.of("partial/big.bin", "partial/.env")) {
      assertEquals("failed", json.files().get(failed).get("status"), up.out());
      assertFalse(json.files().get(failed).getOrDefault("error", "").isEmpty(), up.out());
      assertTrue(up.err().contains(failed + " failed: "), up.err());
    }
    assertEquals("transferred", json.files().get("partial/small.txt").get("status"), up.out());
    assertEquals(2, json.summaryInt("failed"));
    assertEquals(3, json.summaryInt("files"));
    assertTrue(up.err().contains("2 of 3 file(s) failed"), up.err());
    assertFalse(up.err().contains("\tat "), up.err());
    assertEquals("fits", Files.readString(files.resolve("partial/small.txt")));
    assertFalse(Files.exists(files.resolve("partial/big.bin")));
    assertFalse(Files.exists(files.resolve("partial/.env")));

    // Without --json: the summary sentence on stdout, the same exit code.
    InProcessClient human = run("partial", "upload", src.toString());
    assertEquals(ExitCodes.SOME_FILES_FAILED, human.code(), human.err());
    assertTrue(human.out().startsWith("uploaded tree partial: 3 file(s)")
        && human.out().contains("1 already there (skipped), 2 failed"), human.out());
  }

  @Test
  void killedClientContinuesTheSetWithoutSendingFinishedFilesAgain() throws Exception {
    Path src = manyFiles(dir.resolve("many"));
    Set<String> finished = killInTheMiddle("many", "upload", src.toString());

    InProcessClient rerun = run("many", "upload", src.toString(), "--json");
    assertEquals(0, rerun.code(), rerun.err());
    assertFinishedNotSentAgain(finished, JsonOutput.parse(rerun.out()));
    assertSameTree(src, files.resolve("many"));
  }

  @Test
  void killedDownloadContinuesTheSetWithoutFetchingFinishedFilesAgain() throws Exception {
    Path src = manyFiles(dir.resolve("fetch"));
    InProcessClient up = run("fetch", "upload", src.toString(), "--json");
    assertEquals(0, up.code(), up.err());
    Path copy = dir.resolve("fetched");
    Set<String> finished = killInTheMiddle("fetch-down", "download", "fetch/", "--to",
        copy.toString());

    InProcessClient rerun = run("fetch-down", "download", "fetch/", "--to", copy.toString(),
        "--json");
    assertEquals(0, rerun.code(), rerun.err());
    assertFinishedNotSentAgain(finished, JsonOutput.parse(rerun.out()));
    assertSameTree(src, copy);
  }

  /**
   * The server JVM is killed (SIGKILL) in the middle of a set and started again on the same
   * port and data directory; the client, still running, resumes and finishes the set: every file
   * stored once, byte for byte, with its time, nothing failed.
   */
  @Test
  void uploadSetSurvivesAServerKill() throws Exception {
    Path src = manyFiles(dir.resolve("skill-up"));
    Path data = dir.resolve("skill-up-data");
    serverKilledInTheMiddle(data, "upload", src.toString(), "--name", "skill");
    assertSameTree(src, data.resolve("files/skill"));
  }

  /** The same for a download: the restarted server answers the client's request again. */
  @Test
  void downloadSetSurvivesAServerKill() throws Exception {
    Path src = manyFiles(dir.resolve("skill-down"));
    Path data = dir.resolve("skill-down-data");
    Files.createDirectories(data.resolve("files"));
    copyTree(src, data.resolve("files/served"));
    Path copy = dir.resolve("skill-copy");
    serverKilledInTheMiddle(data, "download", "served/", "--to", copy.toString());
    assertSameTree(src, copy);
  }

  private static void serverKilledInTheMiddle(Path data, String... command) throws Exception {
    Path log = data.resolveSibling(data.getFileName() + ".log");
    ServerProcess own = ServerProcess.start(data, 0, log);
    try {
      List<String> args = new ArrayList<>(List.of(command));
      args.addAll(List.of("--server", own.address(),
          "--ca", data.resolve("tls/ca.pem").toString(),
          "--state", data.resolveSibling(data.getFileName() + "-state").toString(),
          "--json", "-v", "--idle-timeout", "2s",
          "--chaos", "cut=28M..32M,mode=blackhole,count=1"));
      ClientProcess client = ClientProcess.start(dir, data.getFileName() + "-client", args);
      awaitCut(client, log);
      own.kill();
      own = ServerProcess.start(data, own.port(), log);
      int code = client.await(120);
      assertEquals(0, code, "client stderr:\n" + client.err() + "\nserver log:\n"
          + ChildJvm.read(log));
      JsonOutput json = JsonOutput.parse(client.out());
      assertEquals(40, json.files().size(), client.out());
      assertEquals(0, json.summaryInt("failed"), client.out());
      assertTrue(json.summaryInt("reconnects") >= 1, client.out());
    } finally {
      own.close();
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    for (Map.Entry<String, Path> e : regularFiles(from).entrySet()) {
      Path t = to.resolve(e.getKey());
      Files.createDirectories(t.getParent());
      Files.copy(e.getValue(), t, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    }
  }

  /** Forty files of 1 MiB in two directories: about three checkpoint intervals of the set. */
  private static Path manyFiles(Path src) throws IOException {
    Files.createDirectories(src.resolve("sub"));
    for (int i = 0; i < 40; i++) {
      TestFiles.random(src.resolve((i % 2 == 0 ? "" : "sub/") + "f" + i + ".bin"), 1L << 20, i);
    }
    return src;
  }

  /**
   * Runs {@code command} in a child JVM and kills it with SIGKILL in the middle of the set;
   * returns the files it reported finished before it died. Loopback is too fast to kill "in the
   * middle": a black-hole cut stalls the set at a known point for the 2 s idle timeout, and the
   * kill lands inside the stall. The cut comes after 28-32 MiB of the 40: the receiver's inbound
   * queue (8 MiB) and both sockets' buffers can hold up to about 20 MiB its cold JVM has not
   * handled yet, so a cut at 12-16 MiB sometimes came before the first file was answered (twice
   * in about twenty runs under load: "some files finished before the stall" failed).
   */
  private static Set<String> killInTheMiddle(String state, String... command) throws Exception {
    List<String> args = args(state, command);
    args.addAll(List.of("--json", "-v", "--idle-timeout", "2s",
        "--chaos", "cut=28M..32M,mode=blackhole,count=1"));
    ClientProcess killed = ClientProcess.start(dir, state + "-killed", args);
    awaitCut(killed);
    killed.kill();
    Set<String> finished = killed.out().lines()
        .filter(l -> l.endsWith("}"))
        .map(FlatJson::parse)
        .filter(f -> "transferred".equals(f.get("status")))
        .map(f -> f.get("file"))
        .collect(Collectors.toSet());
    assertFalse(finished.isEmpty(), "some files finished before the stall: " + killed.out()
        + killed.err());
    assertTrue(finished.size() < 40, "the kill landed before the end: " + finished.size());
    return finished;
  }

  private static void assertFinishedNotSentAgain(Set<String> finished, JsonOutput rerun) {
    assertEquals(40, rerun.files().size(), rerun.toString());
    for (String name : finished) {
      assertEquals("skipped", rerun.files().get(name).get("status"),
          name + " finished before the kill and must not be sent again");
    }
    assertTrue(rerun.summaryInt("skipped") >= finished.size(), rerun.toString());
    assertEquals(0, rerun.summaryInt("failed"));
  }

  private static void awaitCut(ClientProcess c) throws InterruptedException {
    awaitCut(c, dir.resolve("server.log"));
  }

  /** Waits for the client's black-hole cut, then for the server to checkpoint what it got. */
  private static void awaitCut(ClientProcess c, Path serverLog) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!c.err().contains(CUT_LOGGED)) {
      if (!c.process().isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("no chaos cut seen; client exit "
            + (c.process().isAlive() ? "-" : c.process().exitValue()) + ", stderr:\n" + c.err()
            + "\nserver log:\n" + ChildJvm.read(serverLog));
      }
      Thread.sleep(20);
    }
    // Well inside the 2 s the black hole lasts: what arrived before it is made durable.
    Thread.sleep(1000);
    assertTrue(c.process().isAlive(), "still inside the stall: " + c.err());
  }

  private static Set<String> prefixed(String prefix, Set<String> names) {
    return names.stream().map(n -> prefix + n).collect(Collectors.toSet());
  }

  /** Regular files under {@code root} by their '/'-separated relative name. */
  private static Map<String, Path> regularFiles(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .collect(Collectors.toMap(p -> root.relativize(p).toString().replace('\\', '/'),
              p -> p, (a, b) -> a, TreeMap::new));
    }
  }

  /** The same files, byte by byte, with the same modification times, and the same directories. */
  private static void assertSameTree(Path expected, Path actual) throws IOException {
    Map<String, Path> want = regularFiles(expected);
    Map<String, Path> got = regularFiles(actual);
    assertEquals(want.keySet(), got.keySet(), "files under " + actual);
    for (Map.Entry<String, Path> e : want.entrySet()) {
      Path g = got.get(e.getKey());
      assertArrayEquals(Files.readAllBytes(e.getValue()), Files.readAllBytes(g), e.getKey());
      assertEquals(Files.getLastModifiedTime(e.getValue()).toMillis(),
          Files.getLastModifiedTime(g).toMillis(), "mtime of " + e.getKey());
    }
    assertEquals(directories(expected), directories(actual), "directories under " + actual);
  }

  private static Set<String> directories(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
          .map(p -> root.relativize(p).toString())
          .filter(n -> !n.isEmpty() && !n.startsWith(".") && !n.contains("/."))
          .collect(Collectors.toSet());
    }
  }
}
