package dev.lifeline.demo.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a main class in a child JVM on this JVM's class path, so a test can kill it with
 * SIGKILL ({@link Process#destroyForcibly()}) exactly like an operator or a crash would.
 */
public final class ChildJvm {
  private ChildJvm() {}

  /** A process builder for {@code java -cp <this class path> mainClass args...}. */
  public static ProcessBuilder command(String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    // Two shared cores: keep children small and quick to start.
    cmd.add("-Xmx384m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    // Any leaked Netty buffer is reported on stderr, where the tests look for "LEAK:".
    cmd.add("-Dio.netty.leakDetection.level=paranoid");
    cmd.add(mainClass);
    cmd.addAll(args);
    return new ProcessBuilder(cmd);
  }

  /** Reads a child's log file; empty if it does not exist yet. */
  public static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }
}
