package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lifeline.demo.testing.ServerProcess;
import dev.lifeline.demo.testing.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data-sharing archive {@code mvn package} makes beside the jar ({@link ClassArchive}):
 * there, mapped by a fresh JVM, used by {@code bin/lifeline-client} without a training run, and
 * harmless when it no longer matches its jar. Runs in the integration-test phase, after the
 * package phase made the jar and the archive.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PackagedArchiveIT {
  static final Path PACKAGED = LauncherIT.PACKAGED;
  static final Path ARCHIVE = ClassArchive.archiveFor(PACKAGED, Runtime.version().feature());

  @TempDir Path dir;
  Path source;
  ServerProcess server;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(Runtime.version().feature() < 25, "JDK 25+: the launcher's AOT cache instead");
    assertTrue(Files.isRegularFile(PACKAGED), PACKAGED + " is packaged before this test runs");
    Path data = dir.resolve("data");
    Files.createDirectories(data.resolve("files"));
    source = TestFiles.random(data.resolve("files").resolve("f.bin"), 1 << 20, 21);
    server = ServerProcess.start(data, 0, dir.resolve("server.log"));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void theBuildShipsAnArchiveThatAFreshJvmMaps() throws Exception {
    assertTrue(Files.isRegularFile(ARCHIVE), "mvn package made " + ARCHIVE);
    assertTrue(Files.getLastModifiedTime(ARCHIVE).compareTo(Files.getLastModifiedTime(PACKAGED)) > 0,
        "the archive is newer than the jar it was made from");
    // -Xshare:on: the JVM refuses to start rather than run without the archive.
    Result mapped = run(List.of(java(), "-Xshare:on", "-XX:SharedArchiveFile=" + ARCHIVE,
        "-Xlog:class+load=info:stdout", "-jar", PACKAGED.toString(), "--version"));
    assertEquals(0, mapped.exit, mapped.err);
    assertTrue(mapped.out.contains(
        "dev.lifeline.demo.client.ClientMain source: shared objects file (top)"), mapped.out);
  }

  @Test
  void theLauncherUsesThePackagedArchiveWithoutTraining() throws Exception {
    List<Path> before = listing(PACKAGED.getParent());
    FileTime made = Files.getLastModifiedTime(ARCHIVE);
    Result r = run(launcher(PACKAGED, "first.bin"));
    assertEquals(0, r.exit, r.err);
    assertEquals("", r.err, "nothing on stderr");
    assertEquals(TestFiles.sha256(source), TestFiles.sha256(dir.resolve("first.bin")));
    assertEquals(made, Files.getLastModifiedTime(ARCHIVE), "the packaged archive is kept as is");
    assertEquals(before, listing(PACKAGED.getParent()), "no archive recorded beside the jar");
  }

  @Test
  void anArchiveThatNoLongerMatchesItsJarIsIgnoredSilently() throws Exception {
    // The jar is a copy (another modification time than the one the archive recorded) and the
    // archive still looks newer than it to the launcher: only the JVM can tell they differ.
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Path jar = Files.copy(PACKAGED, lib.resolve(PACKAGED.getFileName()));
    Path archive = Files.copy(ARCHIVE, ClassArchive.archiveFor(jar, Runtime.version().feature()),
        StandardCopyOption.COPY_ATTRIBUTES);
    long now = System.currentTimeMillis();
    Files.setLastModifiedTime(jar, FileTime.fromMillis(now - 3_600_000));
    Files.setLastModifiedTime(archive, FileTime.fromMillis(now - 60_000));

    Result r = run(launcher(jar, "stale.bin"));
    assertEquals(0, r.exit, r.err);
    assertEquals("", r.err, "a stale archive costs no error output");
    assertEquals(TestFiles.sha256(source), TestFiles.sha256(dir.resolve("stale.bin")));

    Result plain = run(List.of(java(), "-XX:SharedArchiveFile=" + archive, "-Xlog:disable",
        "-Xlog:all=warning,cds*=off:stderr", "-jar", jar.toString(), "--version"));
    assertEquals(0, plain.exit, plain.err);
    assertEquals("", plain.err, "the JVM falls back to the jar without a word");
  }

  /** {@code bin/lifeline-client download ... --json} of {@code jar}, as a user runs it. */
  private List<String> launcher(Path jar, String to) {
    return List.of("env", "LIFELINE_CLIENT_JAR=" + jar, "bash", LauncherIT.LAUNCHER.toString(),
        "download", "f.bin", "--to", dir.resolve(to).toString(), "--server", server.address(),
        "--ca", dir.resolve("data/tls/ca.pem").toString(),
        "--state", dir.resolve("state-" + to).toString(), "--json");
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static List<Path> listing(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.sorted().toList();
    }
  }

  private Result run(List<String> cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectOutput(dir.resolve("run.out").toFile())
        .redirectError(dir.resolve("run.err").toFile());
    pb.environment().remove("LIFELINE_CDS");
    pb.environment().remove("LIFELINE_CDS_DIR");
    pb.environment().remove("LIFELINE_CLIENT_JVM_OPTS");
    pb.environment().remove("LIFELINE_JAVA_OPTS");
    Process p = pb.start();
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "finished: " + cmd);
    return new Result(p.exitValue(),
        Files.readString(dir.resolve("run.out"), StandardCharsets.UTF_8),
        Files.readString(dir.resolve("run.err"), StandardCharsets.UTF_8));
  }

  private record Result(int exit, String out, String err) {}
}
