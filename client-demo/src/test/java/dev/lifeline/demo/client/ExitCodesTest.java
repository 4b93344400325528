package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.transfer.TransferException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Exit codes are a public contract: distinct, and documented exactly as the program prints them. */
class ExitCodesTest {

  @Test
  void everyReasonHasItsOwnCode() {
    Set<Integer> seen = new HashSet<>(Set.of(ExitCodes.OK, ExitCodes.UNEXPECTED, ExitCodes.USAGE,
        ExitCodes.LOCAL_SETUP, ExitCodes.SOME_FILES_FAILED, ExitCodes.INTERRUPTED));
    for (Reason r : Reason.values()) {
      assertTrue(seen.add(ExitCodes.of(r)), r + " shares code " + ExitCodes.of(r));
      assertTrue(ExitCodes.of(r) > 3 && ExitCodes.of(r) < 126, r + ": " + ExitCodes.of(r));
    }
  }

  @Test
  void someFilesFailedHasItsOwnDocumentedCode() {
    assertTrue(ExitCodes.SOME_FILES_FAILED > 3 && ExitCodes.SOME_FILES_FAILED < 126);
    assertTrue(ExitCodes.table().get(String.valueOf(ExitCodes.SOME_FILES_FAILED))
        .contains("some of its files failed"), ExitCodes.table().toString());
  }

  @Test
  void docsTableMatchesTheProgram() throws IOException {
    // Surefire runs in the module directory; the docs are one level up.
    String doc = Files.readString(Path.of("..", "docs", "demo.md"));
    int start = doc.indexOf("## client-demo exit codes");
    assertTrue(start >= 0, "docs/demo.md has a '## client-demo exit codes' section");
    int end = doc.indexOf("\n## ", start + 1);
    doc = doc.substring(start, end < 0 ? doc.length() : end);
    Matcher row = Pattern.compile("(?m)^\\| (\\d+) +\\| (.+?) +\\|$").matcher(doc);
    Map<String, String> documented = new LinkedHashMap<>();
    while (row.find()) {
      documented.put(row.group(1), row.group(2).replace("`", ""));
    }
    assertEquals(List.copyOf(ExitCodes.table().entrySet()), List.copyOf(documented.entrySet()),
        "docs/demo.md client exit code table differs from ExitCodes.table()");
  }
}
