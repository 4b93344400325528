package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.demo.testing.ServerProcess;
import dev.lifeline.demo.testing.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/lifeline-client}, the launcher the README and the benchmarks use, run as a user runs
 * it: bash, the packaged jar, a real server-demo. It must behave exactly like {@code java -jar
 * client-demo.jar} (output, exit codes) and keep its class-data-sharing archive right: recorded by
 * the first successful transfer, used afterwards, replaced when the jar changes, never required.
 * Runs in the integration-test phase, after the jar is packaged.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LauncherIT {
  static final Path LAUNCHER = Path.of("..", "bin", "lifeline-client").toAbsolutePath().normalize();
  static final Path PACKAGED = Path.of("target", "client-demo.jar").toAbsolutePath();

  @TempDir Path dir;
  Path jar;
  Path source;
  ServerProcess server;

  @BeforeEach
  void setUp() throws Exception {
    assertTrue(Files.isRegularFile(PACKAGED), PACKAGED + " is packaged before this test runs");
    // A copy in a directory of its own, so the archive is written beside it, not into target/.
    jar = Files.copy(PACKAGED, Files.createDirectories(dir.resolve("lib")).resolve("client-demo.jar"));
    Path data = dir.resolve("data");
    Files.createDirectories(data.resolve("files"));
    source = TestFiles.random(data.resolve("files").resolve("f.bin"), 3 << 20, 7);
    server = ServerProcess.start(data, 0, dir.resolve("server.log"));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void downloadsLikeTheJarAndKeepsItsArchiveCurrent() throws Exception {
    Result first = download("one.bin");
    assertEquals(0, first.exit, first.err);
    assertTrue(first.out.contains("\"sha256\":\"" + TestFiles.sha256(source) + "\""), first.out);
    assertEquals(TestFiles.sha256(source), TestFiles.sha256(dir.resolve("one.bin")));
    Path archive = onlyArchive();
    FileTime recorded = Files.getLastModifiedTime(archive);

    Result second = download("two.bin");
    assertEquals(0, second.exit, second.err);
    assertEquals(recorded, Files.getLastModifiedTime(onlyArchive()), "a current archive is reused");
    assertEquals("", second.err, "nothing on stderr when the archive is used");

    // A new jar makes the archive stale: the next transfer records a new one. Both times are set
    // in the past (archive an hour ago, jar a minute ago), so a newly written archive is newer
    // than the jar however fast the transfer runs (a jar dated 2 s ahead raced a fast download).
    long now = System.currentTimeMillis();
    FileTime stale = FileTime.fromMillis(now - 3_600_000);
    Files.setLastModifiedTime(onlyArchive(), stale);
    Files.setLastModifiedTime(jar, FileTime.fromMillis(now - 60_000));
    Result third = download("three.bin");
    assertEquals(0, third.exit, third.err);
    assertTrue(Files.getLastModifiedTime(onlyArchive()).compareTo(stale) > 0,
        "a stale archive is replaced");
    assertTrue(Files.getLastModifiedTime(onlyArchive()).compareTo(Files.getLastModifiedTime(jar)) > 0,
        "the archive is newer than the jar again");
  }

  @Test
  void exitCodesAndErrorsAreTheJars() throws Exception {
    Result bad = run(List.of("download", "f.bin"), List.of());
    assertEquals(2, bad.exit);
    assertTrue(bad.err.startsWith("client-demo: Missing required option"), bad.err);
    assertEquals(1, bad.err.strip().lines().count(), "one line, no usage page: " + bad.err);

    Result missing = run(List.of("download", "nope.bin", "--to", dir.resolve("x").toString(),
        "--server", server.address(), "--ca", dir.resolve("data/tls/ca.pem").toString(),
        "--state", dir.resolve("state").toString()), List.of());
    assertEquals(13, missing.exit, missing.err);
    assertNoArchive("a failed transfer records no archive");
  }

  @Test
  void runsWithoutAnArchiveWhenToldOrWhenThereIsNowhereToKeepIt() throws Exception {
    Result off = run(downloadArgs("off.bin"), List.of("LIFELINE_CDS=off"));
    assertEquals(0, off.exit, off.err);
    assertNoArchive("LIFELINE_CDS=off writes no archive");

    Result missingJar = run(List.of("--version"),
        List.of("LIFELINE_CLIENT_JAR=" + dir.resolve("absent.jar")));
    assertEquals(3, missingJar.exit);
    assertTrue(missingJar.err.contains("not found"), missingJar.err);
  }

  private Result download(String to) throws Exception {
    return run(downloadArgs(to), List.of());
  }

  private List<String> downloadArgs(String to) {
    return List.of("download", "f.bin", "--to", dir.resolve(to).toString(),
        "--server", server.address(), "--ca", dir.resolve("data/tls/ca.pem").toString(),
        "--state", dir.resolve("state-" + to).toString(), "--json");
  }

  private Path onlyArchive() throws IOException {
    List<Path> found = archives();
    assertEquals(1, found.size(), "one archive beside the jar: " + found);
    return found.get(0);
  }

  private void assertNoArchive(String why) throws IOException {
    assertTrue(archives().isEmpty(), why + ": " + archives());
  }

  private List<Path> archives() throws IOException {
    try (Stream<Path> s = Files.list(jar.getParent())) {
      return s.filter(p -> !p.equals(jar)).toList();
    }
  }

  private Result run(List<String> args, List<String> env) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", LAUNCHER.toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectOutput(dir.resolve("launcher.out").toFile())
        .redirectError(dir.resolve("launcher.err").toFile());
    pb.environment().put("LIFELINE_CLIENT_JAR", jar.toString());
    pb.environment().remove("LIFELINE_CDS");
    pb.environment().remove("LIFELINE_CDS_DIR");
    for (String e : env) {
      int eq = e.indexOf('=');
      pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
    }
    Process p = pb.start();
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "launcher finished");
    return new Result(p.exitValue(),
        Files.readString(dir.resolve("launcher.out"), StandardCharsets.UTF_8),
        Files.readString(dir.resolve("launcher.err"), StandardCharsets.UTF_8));
  }

  private record Result(int exit, String out, String err) {}
}
