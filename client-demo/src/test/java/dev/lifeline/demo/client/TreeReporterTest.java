package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.transfer.FileOutcome;
import dev.lifeline.transfer.FileOutcome.Status;
import dev.lifeline.transfer.TreeResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a tree transfer prints and exits with, for each way a set can end. */
class TreeReporterTest {
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  TreeReporter reporter(boolean json) {
    return new TreeReporter(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), json, false, "upload", "t");
  }

  static final FileOutcome SENT = new FileOutcome("t/a", 5, "ab", Status.TRANSFERRED, null);
  static final FileOutcome SKIPPED = new FileOutcome("t/b", 7, "cd", Status.SKIPPED, null);
  static final FileOutcome FAILED =
      new FileOutcome("t/\"c\"", 0, "", Status.FAILED, "server: too large");

  static TreeResult result(FileOutcome... outcomes) {
    int failed = (int) List.of(outcomes).stream().filter(o -> !o.ok()).count();
    int skipped = (int) List.of(outcomes).stream()
        .filter(o -> o.status() == Status.SKIPPED).count();
    return new TreeResult("t", outcomes.length, 12, 1.5, 2, 1, 2, 100, skipped, failed,
        List.of(outcomes));
  }

  String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonPrintsALinePerFileAsItFinishesAndTheSummaryLast() {
    TreeReporter r = reporter(true);
    r.started(2, 12, 1, 7);
    r.fileFinished(SKIPPED);
    r.fileFinished(SENT);
    assertEquals(SKIPPED.toJson() + "\n" + SENT.toJson() + "\n", out(), "printed as they finish");
    TreeResult result = result(SKIPPED, SENT);
    assertEquals(ExitCodes.OK, r.finish(result));
    List<String> lines = out().lines().toList();
    assertEquals(List.of(SKIPPED.toJson(), SENT.toJson(), result.toJson()), lines);
    lines.forEach(FlatJson::parse);
    assertEquals("", err());
  }

  @Test
  void aFailedFileMeansItsOwnExitCodeAndALineOnStderr() {
    TreeReporter r = reporter(true);
    r.fileFinished(SENT);
    r.fileFinished(FAILED);
    assertEquals(ExitCodes.SOME_FILES_FAILED, r.finish(result(SENT, FAILED)));
    assertEquals("failed", FlatJson.parse(out().lines().toList().get(1)).get("status"));
    assertEquals("t/\"c\"", FlatJson.parse(out().lines().toList().get(1)).get("file"));
    List<String> errLines = err().lines().toList();
    assertEquals(2, errLines.size(), err());
    assertEquals("client-demo: t/\"c\" failed: server: too large", errLines.get(0));
    assertTrue(errLines.get(1).startsWith("client-demo: upload of t: 1 of 2 file(s) failed"),
        err());
  }

  @Test
  void withoutJsonOnlyTheSummarySentenceAndNoticesOnStderr() {
    TreeReporter r = reporter(false);
    r.notice("skipped symbolic link l -> /etc/passwd: links are never followed or sent");
    r.fileFinished(SENT);
    r.fileFinished(SKIPPED);
    assertEquals(ExitCodes.OK, r.finish(result(SENT, SKIPPED)));
    assertEquals("uploaded tree t: 2 file(s), 12 B in 1.5 s (0.0 MiB/s): 1 sent and verified, "
        + "1 already there (skipped), 0 failed; 2 reconnect(s), TLS 1 full / 2 resumed, 100 B "
        + "resent\n", out());
    assertEquals("client-demo: skipped symbolic link l -> /etc/passwd: links are never followed "
        + "or sent\n", err());
  }
}
