package dev.lifeline.demo.client;

import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.demo.common.DemoLogging;
import dev.lifeline.demo.common.DemoStores;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.transfer.FileTransferServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Makes the client's class-data-sharing archive at build time ({@code mvn package} runs it right
 * after the jar is shaded), so no user's first transfer has to: {@code
 * target/client-demo-java17.jsa} beside {@code target/client-demo.jar}, where {@code
 * bin/lifeline-client} looks for it. A fresh JVM then maps the classes a transfer loads instead of
 * reading, parsing and verifying about 2,800 of them from the jar (docs/benchmarks.md,
 * "Start-up").
 *
 * <pre>{@code
 * java -cp target/client-demo.jar dev.lifeline.demo.client.ClassArchive target/client-demo.jar
 * }</pre>
 *
 * <p>The archive is only good for the jar it was made from (the JVM checks the jar's size and
 * time) and the JVM that made it; a JVM that finds it stale ignores it and loads from the jar.
 * The training run is a child JVM started with {@code -XX:ArchiveClassesAtExit}: it runs one
 * download and one upload through {@link ClientMain} against a server in the same process, on
 * loopback with development certificates, and the archive is renamed into place only after that
 * JVM exited 0, so a failed training leaves no half-written archive. JDK 25 and later get
 * nothing here: their AOT cache is still recorded by the launcher's first run.
 */
final class ClassArchive {
  static final String TRAIN = "--train";

  private ClassArchive() {}

  /**
   * {@code JAR}: makes the archive beside it, or prints why not and leaves none (exit 0 either
   * way: the jar is the build's product, the archive an optimisation). {@code --train DIR}: the
   * child's part.
   */
  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals(TRAIN)) {
      train(Path.of(args[1]));
      return;
    }
    if (args.length != 1) {
      System.err.println("usage: ClassArchive JAR");
      System.exit(2);
    }
    String why = make(Path.of(args[0]).toAbsolutePath());
    if (why != null) {
      System.out.println(why); // mvn -q stays quiet when the archive was made
    }
  }

  /** The archive's name beside {@code jar}, as {@code bin/lifeline-client} looks it up. */
  static Path archiveFor(Path jar, int javaFeature) {
    String base = jar.getFileName().toString().replaceFirst("\\.jar$", "");
    return jar.resolveSibling(base + "-java" + javaFeature + ".jsa");
  }

  /** Runs the training JVM; returns null when the archive is in place, else why it is not. */
  static String make(Path jar) throws IOException, InterruptedException {
    int feature = Runtime.version().feature();
    if (feature >= 25) {
      return "client-demo: no CDS archive made on Java " + feature
          + " (bin/lifeline-client records its AOT cache on the first transfer)";
    }
    Path archive = archiveFor(jar, feature);
    Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
    Path work = Files.createTempDirectory("lifeline-cds-training");
    try {
      // No archive rather than one older than the jar, whatever happens below.
      Files.deleteIfExists(archive);
      Files.deleteIfExists(tmp);
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      // Errors only: the JVM warns about every picocli class it cannot archive (class file
      // version 49), which is expected and would read like a broken build.
      List<String> cmd = new ArrayList<>(List.of(java.toString(),
          "-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:disable", "-Xlog:all=error:stderr",
          "-cp", jar.toString(), ClassArchive.class.getName(), TRAIN, work.toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int exit = p.waitFor();
      if (exit != 0 || !Files.isRegularFile(tmp) || Files.size(tmp) == 0) {
        Files.deleteIfExists(tmp);
        return "client-demo: WARNING no CDS archive (training exited " + exit + "): " + output.strip();
      }
      Files.move(tmp, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return null;
    } finally {
      deleteTree(work);
    }
  }

  /**
   * What a user's transfers load: {@code main}'s start-up, one download (its summary as a person
   * reads it) and one upload (with {@code --json}, as scripts run it), against an in-process
   * server.
   */
  static void train(Path work) throws Exception {
    DemoLogging.useDefaults("WARN");
    StartupWork.begin();
    Path files = Files.createDirectories(work.resolve("server").resolve("files"));
    byte[] content = new byte[1 << 20];
    new Random(21).nextBytes(content);
    Files.write(files.resolve("training.bin"), content);
    Files.write(work.resolve("upload.bin"), content);
    try (CheckpointStore store = DemoStores.open(work.resolve("server").resolve("sessions"),
        Duration.ofMinutes(5))) {
      FileTransferServer transfers = FileTransferServer.builder(files).build();
      LifelineServer server = LifelineServer.builder()
          .host("127.0.0.1")
          .port(0)
          .tls(ServerTlsConfig.builder().developmentCertificates(work.resolve("tls")).build())
          .store(store)
          .handler(transfers.handler())
          .onSessionExpired(transfers::sessionExpired)
          .start();
      try {
        String[] common = {"--server", server.address(), "--ca",
            work.resolve("tls").resolve("ca.pem").toString(), "--state",
            work.resolve("state").toString()};
        run("download", "training.bin", "--to", work.resolve("copy.bin").toString(), common,
            false);
        run("upload", work.resolve("upload.bin").toString(), "--name", "up.bin", common, true);
      } finally {
        server.close();
      }
    }
  }

  private static void run(String command, String a, String b, String c, String[] common,
      boolean json) {
    List<String> args = new ArrayList<>(List.of(command, a, b, c));
    args.addAll(List.of(common));
    if (json) {
      args.add("--json");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = ClientMain.run(args.toArray(new String[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    if (exit != 0) {
      // The parent reports this and keeps no archive.
      throw new IllegalStateException("training " + command + " exited " + exit + ": "
          + err.toString(StandardCharsets.UTF_8).strip());
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
