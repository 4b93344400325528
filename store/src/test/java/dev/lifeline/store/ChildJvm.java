package dev.lifeline.store;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/** Starts a main class of the test classpath in a small, fast-starting child JVM. */
final class ChildJvm {
  private static final String SHARED_ARCHIVE = "-XX:SharedArchiveFile=";
  private static final String SHARED_ARCHIVE_AT_EXIT = "-XX:ArchiveClassesAtExit=";

  /** Guarded by ChildJvm.class: the archive's options once made (empty if it could not be). */
  private static List<String> sharedArchive;
  /**
   * The class path of children that use the archive: the test class path with each directory
   * replaced by a jar of it (class-data sharing refuses non-empty directories). Written once,
   * before {@link #sharedArchive} is.
   */
  private static volatile String archivedClassPath;

  private ChildJvm() {}

  /**
   * JVM options that make a store child start from a class-data-sharing archive of the classes
   * it loads (MapDB and Kotlin included), recorded once per test JVM by a {@link
   * ChildJvmTraining} run; empty if the archive could not be made, which only costs time. The
   * crash tests start hundreds of children one after the other, each loading and verifying the
   * same classes before it does any work; with the archive they ran 15-20% faster.
   */
  static synchronized List<String> sharedArchive() {
    if (sharedArchive == null) {
      sharedArchive = makeSharedArchive();
    }
    return sharedArchive;
  }

  private static List<String> makeSharedArchive() {
    try {
      Path work = Files.createTempDirectory("lifeline-child-cds");
      work.toFile().deleteOnExit();
      Path archive = work.resolve("child.jsa");
      archive.toFile().deleteOnExit();
      Path store = Files.createDirectories(work.resolve("store"));
      archivedClassPath = jarDirectories(work);
      Process training = new ProcessBuilder(command(
          List.of(SHARED_ARCHIVE_AT_EXIT + archive), ChildJvmTraining.class,
          store.toString()))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      boolean finished = training.waitFor(2, TimeUnit.MINUTES);
      if (!finished) {
        training.destroyForcibly().waitFor();
      }
      try (var files = Files.walk(store)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      if (!finished || training.exitValue() != 0 || !Files.isRegularFile(archive)) {
        return List.of();
      }
      // JVM warnings (an archive it cannot use) to stderr: stdout carries the child's results.
      return List.of(SHARED_ARCHIVE + archive, "-Xlog:disable",
          "-Xlog:all=warning:stderr");
    } catch (IOException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  /** The test class path with every directory on it packed into a jar under {@code work}. */
  private static String jarDirectories(Path work) throws IOException {
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      if (!Files.isDirectory(path)) {
        entries.add(entry);
        continue;
      }
      Path jar = work.resolve("classes-" + n++ + ".jar");
      jar.toFile().deleteOnExit();
      try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
          Stream<Path> files = Files.walk(path)) {
        for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
          String name = path.relativize(file).toString().replace(File.separatorChar, '/');
          out.putNextEntry(new JarEntry(name));
          Files.copy(file, out);
          out.closeEntry();
        }
      }
      entries.add(jar.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  static Process start(Class<?> main, String... args) throws IOException {
    return start(List.of(), main, args);
  }

  /** As {@link #start(Class, String...)}, with extra JVM options before the main class. */
  static Process start(List<String> jvmOptions, Class<?> main, String... args)
      throws IOException {
    return new ProcessBuilder(command(jvmOptions, main, args))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** The command line of such a child, for a test that redirects its output itself. */
  static List<String> command(List<String> jvmOptions, Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k", "-Xmx96m",
        "-XX:-UsePerfData", "-Dlogback.configurationFile=logback-child.xml"));
    cmd.addAll(jvmOptions);
    boolean archived = jvmOptions.stream()
        .anyMatch(o -> o.startsWith(SHARED_ARCHIVE) || o.startsWith(SHARED_ARCHIVE_AT_EXIT));
    String classPath = archived ? archivedClassPath : System.getProperty("java.class.path");
    cmd.addAll(List.of("-cp", classPath, main.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
