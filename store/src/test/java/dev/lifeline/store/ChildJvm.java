package dev.lifeline.store;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Starts a main class of the test classpath in a small, fast-starting child JVM. */
final class ChildJvm {
  private ChildJvm() {}

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
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
