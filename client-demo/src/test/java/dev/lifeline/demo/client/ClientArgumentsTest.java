package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.demo.common.DemoStores;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.transfer.TransferException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad command lines and unusable local files: one line on stderr naming the culprit, no stack
 * trace, the documented exit code, nothing on stdout. In-process; none of these reaches a server
 * (port 1 is never listening, so a test that got that far would fail on its exit code).
 */
class ClientArgumentsTest {
  @TempDir Path dir;
  Path file;
  Path ca;

  record Run(int code, String out, String err) {}

  @BeforeEach
  void files() throws IOException {
    file = Files.writeString(dir.resolve("hello.txt"), "hello");
    // Only read when the client is built, after every check these tests trigger.
    ca = Files.writeString(dir.resolve("ca.pem"), "placeholder");
  }

  private Run run(String... args) {
    return assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = ClientMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      return new Run(code, out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    });
  }

  /** An upload command line that is valid apart from what the test adds or leaves out. */
  private String[] upload(String... more) {
    List<String> args = new ArrayList<>(List.of("upload", file.toString(),
        "--server", "127.0.0.1:1", "--state", dir.resolve("state").toString()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  private static void assertOneLineError(Run r, int code, String... fragments) {
    assertEquals(code, r.code(), r.err());
    String line = r.err().strip();
    assertFalse(line.contains("\n"), "one line: " + r.err());
    assertTrue(line.startsWith("client-demo: "), line);
    for (String f : fragments) {
      assertTrue(line.contains(f), "expected '" + f + "' in: " + line);
    }
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    assertEquals("", r.out());
  }

  @Test
  void missingCommand() {
    assertOneLineError(run(), 2, "missing command", "upload, download or list");
    assertOneLineError(run("send", "x"), 2, "send");
  }

  @Test
  void missingCaOrServer() {
    assertOneLineError(run(upload()), 2, "--ca");
    assertOneLineError(run("upload", file.toString(), "--ca", ca.toString()), 2, "--server");
    assertOneLineError(run("download", "x", "--server", "127.0.0.1:1", "--ca", ca.toString()), 2,
        "--to");
  }

  @Test
  void badServer() {
    for (String server : List.of("localhost", "localhost:0", "localhost:99999", ":7443", "h:p")) {
      assertOneLineError(run("upload", file.toString(), "--server", server, "--ca", ca.toString()),
          2, "--server", "'" + server + "'", "HOST:PORT");
    }
  }

  @Test
  void badDurations() {
    assertOneLineError(run(upload("--ca", ca.toString(), "--idle-timeout", "2")), 2,
        "--idle-timeout", "'2'", "500ms");
    assertOneLineError(run(upload("--ca", ca.toString(), "--idle-timeout", "-1s")), 2,
        "--idle-timeout");
  }

  @Test
  void badChaosSpecs() {
    assertOneLineError(run(upload("--ca", ca.toString(), "--chaos", "cut=32M..8M")), 2,
        "--chaos", "MIN greater than MAX", "cut=MIN..MAX");
    assertOneLineError(run(upload("--ca", ca.toString(), "--chaos", "cut=8M,mode=cosmic")), 2,
        "--chaos", "cosmic");
    assertOneLineError(run(upload("--ca", ca.toString(), "--chaos", "count=3")), 2, "--chaos");
  }

  @Test
  void unusableCaFile() throws IOException {
    assertOneLineError(run(upload("--ca", dir.resolve("nope.pem").toString())),
        ExitCodes.LOCAL_SETUP, "--ca", "nope.pem", "not a readable file");
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not pem");
    assertOneLineError(run(upload("--ca", garbage.toString())), ExitCodes.LOCAL_SETUP, "--ca",
        "garbage.pem");
  }

  @Test
  void stateDirectoryInUse() throws Exception {
    Path state = dir.resolve("state");
    try (CheckpointStore held = DemoStores.open(state, Duration.ofHours(1))) {
      assertOneLineError(run(upload("--ca", ca.toString())), ExitCodes.LOCAL_SETUP, "--state",
          state.toString(), "in use by another client-demo");
    }
  }

  @Test
  void missingLocalFile() {
    Path missing = dir.resolve("missing.bin");
    assertOneLineError(run("upload", missing.toString(), "--server", "127.0.0.1:1",
            "--ca", ca.toString()),
        ExitCodes.of(Reason.NOT_FOUND), missing.toString(), "not a readable file");
  }

  @Test
  void downloadTargetMustBeANewFileInAnExistingDirectory() throws IOException {
    String[] common = {"--server", "127.0.0.1:1", "--ca", ca.toString()};
    assertOneLineError(run(concat(new String[] {"download", "x", "--to", dir.toString()}, common)),
        2, "--to", "is a directory");
    Path orphan = dir.resolve("no-such-dir/x.bin");
    assertOneLineError(run(concat(new String[] {"download", "x", "--to", orphan.toString()},
        common)), 2, "--to", "does not exist");
    assertOneLineError(run(concat(new String[] {"download", "x", "--to", file.toString()},
        common)), ExitCodes.of(Reason.EXISTS), file.toString(), "exists", "--overwrite");
    assertEquals("hello", Files.readString(file));
  }

  @Test
  void treeDownloadNeedsADirectory() throws IOException {
    String[] common = {"--server", "127.0.0.1:1", "--ca", ca.toString()};
    assertOneLineError(run(concat(new String[] {"download", "tree/", "--to", file.toString()},
        common)), 2, "--to", file.toString(), "not a directory");
    Path orphan = dir.resolve("no-such-dir/tree");
    assertOneLineError(run(concat(new String[] {"download", "tree/", "--to", orphan.toString()},
        common)), 2, "--to", "does not exist");
    assertOneLineError(run(concat(new String[] {"download", "tree/", "--to",
        dir.resolve("copy").toString(), "--overwrite"}, common)), 2, "--overwrite", "tree");
    assertEquals("hello", Files.readString(file));
    assertFalse(Files.exists(dir.resolve("copy")), "nothing created for a refused command line");
  }

  @Test
  void listHelpDocumentsItsFormatAndTheTreeExitCode() {
    Run list = run("list", "--help");
    assertEquals(0, list.code(), list.err());
    for (String s : List.of("PREFIX", "SIZE  SHA256  NAME", "--json", "--server", "--ca",
        "Exit codes:", "  " + ExitCodes.SOME_FILES_FAILED + "    a tree transfer finished but")) {
      assertTrue(list.out().contains(s), s + " in\n" + list.out());
    }
    assertOneLineError(run("list", "--ca", ca.toString()), 2, "--server");
  }

  private static String[] concat(String[] a, String[] b) {
    List<String> all = new ArrayList<>(List.of(a));
    all.addAll(List.of(b));
    return all.toArray(String[]::new);
  }

  @Test
  void refusesUnknownTlsGroups() {
    assertOneLineError(run(upload("--ca", ca.toString(), "--tls-groups", "P-999")), 2,
        "--tls-groups", "unknown group 'P-999'", "X25519MLKEM768, x25519, secp256r1");
    assertOneLineError(run(upload("--ca", ca.toString(), "--tls-groups", ",x25519")), 2,
        "--tls-groups", "empty item");
    // A good list passes the command line and gets as far as reading the (placeholder) CA.
    Run good = run(upload("--ca", ca.toString(), "--tls-groups", "X25519:P-256"));
    assertTrue(good.code() != 2 && !good.err().contains("--tls-groups")
        && good.err().contains(ca.toString()), good.code() + " " + good.err());
  }

  @Test
  void helpShowsCommandsAndExitCodes() {
    Run top = run("--help");
    assertEquals(0, top.code());
    assertTrue(top.out().contains("upload") && top.out().contains("download")
        && top.out().contains("list"), top.out());
    Run upload = run("upload", "--help");
    assertEquals(0, upload.code());
    for (String s : List.of("--name", "--server", "--ca", "--state", "--idle-timeout", "--chaos",
        "--tls-groups", "--json", "Exit codes:")) {
      assertTrue(upload.out().contains(s), s + " in\n" + upload.out());
    }
    // A run naming its command registers only that one (ClientMain.run): the rest of the
    // command line must not notice.
    assertTrue(top.out().contains("Exit codes:"), top.out());
    Run download = run("download", "--help");
    assertEquals(0, download.code());
    for (String s : List.of("NAME", "--to", "--overwrite", "--server", "--ca", "--tls-groups",
        "Exit codes:")) {
      assertTrue(download.out().contains(s), s + " in\n" + download.out());
    }
    assertOneLineError(run("dowload", "x"), 2, "dowload");
    assertOneLineError(run("download", "upload"), 2, "--to");
  }
}
