package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.demo.testing.ServerProcess;
import dev.lifeline.demo.testing.TestFiles;
import dev.lifeline.transfer.TransferException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfers the server refuses, through the real jars' main classes: each ends with its own exit
 * code and one line on stderr, and changes nothing on the server. One server for all of them.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FailureExitCodesEndToEndTest {
  @TempDir static Path dir;
  static ServerProcess server;
  static Path small;

  @BeforeAll
  static void startServer() throws Exception {
    Path data = dir.resolve("data");
    Files.createDirectories(data.resolve("files"));
    Files.writeString(data.resolve("files/taken.txt"), "already here");
    small = Files.writeString(dir.resolve("small.txt"), "small");
    TestFiles.random(dir.resolve("two-mib.bin"), 2L << 20, 7);
    server = ServerProcess.start(data, 0, dir.resolve("server.log"), "--max-file-size", "1M");
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  private ClientProcess run(String name, String... command) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of(command));
    args.addAll(List.of("--server", server.address(),
        "--ca", dir.resolve("data/tls/ca.pem").toString(),
        "--state", dir.resolve("state-" + name).toString()));
    ClientProcess c = ClientProcess.start(dir, name, args);
    c.await(60);
    return c;
  }

  private static void assertFailed(ClientProcess c, Reason reason) {
    String err = c.err().strip();
    assertEquals(ExitCodes.of(reason), c.process().exitValue(), err);
    String last = err.substring(err.lastIndexOf('\n') + 1);
    assertTrue(last.startsWith("client-demo: ") && last.contains(reason.name()), err);
    assertFalse(err.contains("\tat "), err);
    assertEquals("", c.out());
  }

  @Test
  void existingNameIsNeverOverwritten() throws Exception {
    assertFailed(run("exists", "upload", small.toString(), "--name", "taken.txt"), Reason.EXISTS);
    assertEquals("already here", Files.readString(dir.resolve("data/files/taken.txt")));
  }

  @Test
  void unknownNameCannotBeDownloaded() throws Exception {
    assertFailed(run("absent", "download", "absent.bin", "--to",
        dir.resolve("absent.bin").toString()), Reason.NOT_FOUND);
    assertFalse(Files.exists(dir.resolve("absent.bin")));
  }

  @Test
  void pathEscapeIsRefused() throws Exception {
    assertFailed(run("escape", "upload", small.toString(), "--name", "../escape.txt"),
        Reason.INVALID_NAME);
    assertFalse(Files.exists(dir.resolve("data/escape.txt")));
  }

  @Test
  void fileOverTheLimitIsRefused() throws Exception {
    assertFailed(run("large", "upload", dir.resolve("two-mib.bin").toString()), Reason.TOO_LARGE);
    assertFalse(Files.exists(dir.resolve("data/files/two-mib.bin")));
  }
}
