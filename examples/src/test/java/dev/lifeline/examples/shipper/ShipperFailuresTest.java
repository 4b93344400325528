package dev.lifeline.examples.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.examples.ExamplesMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the shipper client says when it cannot do its job: one line naming what happened and what
 * to do, a distinct exit code, never a stack trace, and never a silent new start.
 */
@Timeout(90)
class ShipperFailuresTest {
  private static final int RECORDS = 20_000;
  private static final int BYTES = 100;

  @TempDir Path dir;

  @Test
  void anUnreachableServerAndARefusedResumeEachExitWithTheirCodeAndSendNothingAgain()
      throws Exception {
    Path data = dir.resolve("data");
    Path out = dir.resolve("records.txt");
    Path log = dir.resolve("server.log");
    Path state = dir.resolve("state");
    int port;
    List<String> args;
    try (ShipperProcess server = ShipperProcess.server(data, 0, out, log)) {
      port = server.port();
      args = ShipperProcess.clientArgs(server.address(), data.resolve("tls/ca.pem"), state,
          RECORDS, BYTES);
      try (ShipperProcess client = ShipperProcess.client(dir, "client-0", args)) {
        ShipperKillTest.awaitSize(out, RECORDS * BYTES / 3, client, "half way");
        client.kill();
      }
    } // SIGKILL

    List<String> quick = new ArrayList<>(args);
    quick.addAll(List.of("--reconnect-deadline", "2s"));
    ShipperProcess unreachable = ShipperProcess.client(dir, "unreachable", quick);
    assertEquals(ShipperExitCodes.UNREACHABLE, unreachable.await(60), unreachable::err);
    assertOneLineWithoutStackTrace(unreachable.err(), "could not be reached");
    assertTrue(unreachable.err().contains("re-run the same command to continue"),
        unreachable::err);

    // The server lost its sessions (a restore from an older copy): it cannot resume the job.
    deleteTree(data.resolve("sessions"));
    long stored = Files.size(out);
    try (ShipperProcess restarted = ShipperProcess.server(data, port, out, log)) {
      ShipperProcess refused = ShipperProcess.client(dir, "refused", args);
      assertEquals(ShipperExitCodes.REFUSED, refused.await(60), refused::err);
      assertOneLineWithoutStackTrace(refused.err(), "refused to resume");
      assertTrue(refused.err().contains("re-run with --new-session")
          && refused.err().contains("with a new --state"), refused::err);
      assertEquals(stored, Files.size(out), "nothing sent again after the refusal");
    }
  }

  @Test
  void badArgumentsAreOneLineAndExitTwo() {
    assertUsageError(List.of("shipper-client", "--server", "nohost", "--ca", "ca.pem",
        "--state", "s", "--records", "10"), "--server: 'nohost' (expected: HOST:PORT");
    assertUsageError(List.of("shipper-client", "--server", "h:1", "--ca", "ca.pem",
        "--state", "s", "--records", "100000", "--record-bytes", "6"),
        "--record-bytes: 6 (expected: 7..");
    assertUsageError(List.of("shipper-client", "--server", "h:1", "--ca", "ca.pem",
        "--state", "s", "--records", "0"), "--records: 0 (expected: >= 1)");
    assertUsageError(List.of("shipper-server", "--port", "1"), "Missing required options");
  }

  @Test
  void aMissingCaFileIsALocalSetupError() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ExamplesMain.run(new String[] {"shipper-client", "--server", "127.0.0.1:1",
        "--ca", dir.resolve("missing.pem").toString(), "--state", dir.resolve("s").toString(),
        "--records", "10"}, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertEquals(ShipperExitCodes.LOCAL_SETUP, code);
    assertOneLineWithoutStackTrace(err.toString(StandardCharsets.UTF_8), "is not a readable file");
  }

  private static void assertUsageError(List<String> args, String expected) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ExamplesMain.run(args.toArray(new String[0]),
        new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = err.toString(StandardCharsets.UTF_8);

    assertEquals(ShipperExitCodes.USAGE, code, text);
    assertOneLineWithoutStackTrace(text, expected);
  }

  private static void assertOneLineWithoutStackTrace(String stderr, String expected) {
    List<String> lines = stderr.lines().filter(l -> l.startsWith("shipper-")
        || l.startsWith("lifeline-examples")).toList();
    assertEquals(1, lines.size(), () -> "one line of ours on stderr:\n" + stderr);
    assertTrue(lines.get(0).contains(expected), () -> "'" + expected + "' in:\n" + stderr);
    assertFalse(stderr.contains("\tat ") || stderr.contains("Exception in thread"),
        () -> "no stack trace:\n" + stderr);
  }

  private static void deleteTree(Path root) throws Exception {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
