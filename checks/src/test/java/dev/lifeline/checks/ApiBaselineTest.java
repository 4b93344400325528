package dev.lifeline.checks;

import static org.junit.jupiter.api.Assertions.fail;

import com.tngtech.archunit.core.domain.JavaClasses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every library module's public API, compared with the baseline committed beside it
 * ({@code <module>/api/<artifactId>.api}): a change to the API is a deliberate, reviewed diff of
 * that file, never a side effect. After a deliberate change, rewrite the baselines with
 *
 * <pre>mvn -B -pl checks -am test -Dtest=ApiBaselineTest -Dlifeline.api.update=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dlifeline.skipToolCheck</pre>
 *
 * and commit them with the change (OkHttp's {@code api/okhttp.api} is the model).
 */
class ApiBaselineTest {
  private static final boolean UPDATE = Boolean.getBoolean("lifeline.api.update");

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = LibraryModule.importAll();
  }

  @ParameterizedTest
  @EnumSource(LibraryModule.class)
  void publicApiMatchesTheCommittedBaseline(LibraryModule module) throws IOException {
    String current = ApiDump.of(module, classes);
    Path file = module.apiFile();
    if (UPDATE) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, current, StandardCharsets.UTF_8);
      return;
    }
    if (!Files.isRegularFile(file)) {
      fail(module.directory + ": no API baseline at " + file + "; create it with "
          + "-Dlifeline.api.update=true (see ApiBaselineTest) and commit it");
    }
    String baseline = Files.readString(file, StandardCharsets.UTF_8);
    if (!baseline.equals(current)) {
      fail(module.directory + ": the public API differs from " + file + ".\n" + diff(baseline, current)
          + "If the change is deliberate, rewrite the baseline with -Dlifeline.api.update=true "
          + "(see ApiBaselineTest) and commit it with the change.");
    }
  }

  private static String diff(String baseline, String current) {
    Set<String> before = qualified(baseline);
    Set<String> after = qualified(current);
    List<String> lines = new ArrayList<>();
    before.stream().filter(l -> !after.contains(l)).forEach(l -> lines.add("- " + l));
    after.stream().filter(l -> !before.contains(l)).forEach(l -> lines.add("+ " + l));
    if (lines.isEmpty()) {
      lines.add("(same lines, different order or a duplicate)");
    }
    return String.join("\n", lines) + "\n";
  }

  /** Each member line prefixed with its type's line, so a diff line says whose member it is. */
  private static Set<String> qualified(String dump) {
    Set<String> lines = new LinkedHashSet<>();
    String type = "";
    for (String line : dump.lines().toList()) {
      if (line.startsWith("  ")) {
        lines.add(type + " :: " + line.strip());
      } else {
        type = line;
        lines.add(line);
      }
    }
    return lines;
  }
}
