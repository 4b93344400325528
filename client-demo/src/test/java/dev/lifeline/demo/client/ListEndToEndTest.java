package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.demo.testing.ServerProcess;
import dev.lifeline.demo.testing.TestFiles;
import dev.lifeline.transfer.TransferException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code client-demo list} through the real server and client main classes: one line per stored
 * file in the documented {@code SIZE  SHA256  NAME} form, sorted, prefixes matched by whole path
 * components, the server's hidden files left out, {@code --json} objects that parse, and a prefix
 * that holds nothing printing nothing with exit 0. The server's files come from an upload and
 * from files put into its data directory before it started (as an earlier tree upload leaves them).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ListEndToEndTest {
  static final Instant SEEDED_MTIME = Instant.parse("2021-03-04T05:06:07.123Z");

  @TempDir static Path dir;
  static Path files;
  static ServerProcess server;

  @BeforeAll
  static void startServerAndUpload() throws Exception {
    Path data = dir.resolve("data");
    files = data.resolve("files");
    Files.createDirectories(files.resolve("seed/a/c"));
    Files.writeString(files.resolve("seed/a/b.txt"), "bee");
    TestFiles.random(files.resolve("seed/a/c/d.bin"), 70_000, 3);
    Files.setLastModifiedTime(files.resolve("seed/a/c/d.bin"), FileTime.from(SEEDED_MTIME));
    Files.writeString(files.resolve("seed/.hidden"), "never listed");
    Files.createDirectories(files.resolve("seed/empty"));
    Files.writeString(files.resolve("seedling.txt"), "not under seed/");
    server = ServerProcess.start(data, 0, dir.resolve("server.log"));
    Path one = Files.writeString(dir.resolve("one.txt"), "uploaded through the client");
    ClientProcess upload = client("upload", "upload", one.toString());
    assertEquals(0, upload.await(60), upload.err());
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  private static ClientProcess client(String name, String... command) throws Exception {
    return ClientProcess.start(dir, name, args(name, command));
  }

  private static List<String> args(String name, String... command) {
    List<String> args = new ArrayList<>(List.of(command));
    args.addAll(List.of("--server", server.address(),
        "--ca", dir.resolve("data/tls/ca.pem").toString(),
        "--state", dir.resolve("state-" + name).toString()));
    return args;
  }

  /** {@code list ARGS...} in this JVM; it must succeed without a word on stderr. */
  private static InProcessClient list(String name, String... command) {
    List<String> args = args(name, command);
    args.add(0, "list");
    InProcessClient c = InProcessClient.run(args.toArray(String[]::new));
    assertEquals(0, c.code(), c.err());
    assertEquals("", c.err(), "nothing on stderr");
    return c;
  }

  private static String line(String name) throws Exception {
    Path f = files.resolve(name);
    return Files.size(f) + "  " + TestFiles.sha256(f) + "  " + name;
  }

  @Test
  void listsEveryStoredFileSortedOneLineEach() throws Exception {
    // The real main in its own JVM once; the other tests run the same code in this one.
    ClientProcess all = client("all", "list");
    assertEquals(0, all.await(60), all.err());
    assertEquals("", all.err());
    assertEquals(List.of(line("one.txt"), line("seed/a/b.txt"), line("seed/a/c/d.bin"),
        line("seedling.txt")), all.out().lines().toList());
  }

  @Test
  void aPrefixIsATreeNotTheStartOfAName() throws Exception {
    List<String> seed = List.of(line("seed/a/b.txt"), line("seed/a/c/d.bin"));
    assertEquals(seed, list("prefix", "seed").out().lines().toList());
    assertEquals(seed, list("prefix-slash", "seed/").out().lines().toList());
    assertEquals(List.of(line("seed/a/c/d.bin")), list("one-file", "seed/a/c/d.bin").out()
        .lines().toList());
  }

  @Test
  void aPrefixHoldingNothingPrintsNothing() throws Exception {
    assertEquals("", list("nothing", "nothing-here").out());
    assertEquals("", list("empty-dir", "seed/empty").out(), "empty directories are not files");
  }

  @Test
  void jsonLinesParseAndCarryTheModificationTime() throws Exception {
    List<String> lines = list("json", "seed", "--json").out().lines().toList();
    assertEquals(2, lines.size(), lines.toString());
    Map<String, String> d = FlatJson.parse(lines.get(1));
    assertEquals("seed/a/c/d.bin", d.get("file"));
    assertEquals("70000", d.get("bytes"));
    assertEquals(TestFiles.sha256(files.resolve("seed/a/c/d.bin")), d.get("sha256"));
    assertEquals(SEEDED_MTIME, Instant.parse(d.get("mtime")));
    assertEquals("seed/a/b.txt", FlatJson.parse(lines.get(0)).get("file"));
  }

  @Test
  void aPrefixLeavingTheServersDirectoryIsRefused() throws Exception {
    List<String> args = args("escape", "../data");
    args.add(0, "list");
    InProcessClient c = InProcessClient.run(args.toArray(String[]::new));
    int code = c.code();
    // The listing's own failure code (the transfer module reports it as NOT_FOUND today).
    assertTrue(code == ExitCodes.of(Reason.NOT_FOUND) || code == ExitCodes.of(Reason.INVALID_NAME),
        code + ": " + c.err());
    String err = c.err().strip();
    assertFalse(err.contains("\n") || err.contains("\tat "), err);
    assertTrue(err.startsWith("client-demo: list failed: ") && err.contains("../data"), err);
    assertEquals("", c.out());
  }
}
