package dev.lifeline.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Request paths under /files/ to tree names: split first, decode each component, check it. */
class FilesPathTest {
  private static final Path DIR = Path.of("/srv/files");

  @Test
  void componentsAreDecodedOneByOne() throws Exception {
    assertEquals(new FilesPath("a/b c+d/é", false),
        FilesPath.parse("a/b%20c+d/%C3%A9?x=1", DIR));
    assertEquals(new FilesPath("photos", true), FilesPath.parse("photos/?format=json", DIR));
    assertEquals(new FilesPath("", true), FilesPath.parse("", DIR));
    assertEquals(new FilesPath("", true), FilesPath.parse("?format=html", DIR));
    assertEquals(DIR.resolve("a").resolve("b"), new FilesPath("a/b", false).resolve(DIR));
  }

  @Test
  void pathsThatLeaveOrHideAreRefused() {
    for (String raw : new String[] {"..", "a/../b", "%2e%2e/x", "a%2Fb", "a%2f..%2f..%2fetc",
        ".partial/x", "a/.meta/", "a//b", "//", "/", "a%ZZ", "a%C3", "a%", "a%0", "a%00b",
        "a%5Cb", "%20a", "./a"}) {
      assertThrows(FilesPath.Refused.class, () -> FilesPath.parse(raw, DIR), raw);
    }
  }

  @Test
  void encodedNamesParseBackToThemselves() throws Exception {
    for (String name : new String[] {"a/b c+d.bin", "x<b>&'\"#?%.txt", "données/été", "日本/語"}) {
      assertEquals(name, FilesPath.parse(FilesPath.encode(name), DIR).name(), name);
    }
    assertEquals("a/b%20c%2Bd%3F%23.bin", FilesPath.encode("a/b c+d?#.bin"));
  }
}
