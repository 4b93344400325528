package dev.lifeline.demo.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.demo.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client-demo in a child JVM, stdout and stderr in files: killing it with SIGKILL must look
 * exactly like killing the real jar.
 */
final class ClientProcess {
  static final String MAIN = "dev.lifeline.demo.client.ClientMain";

  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private ClientProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Starts {@code client-demo args...}; its output goes to {@code dir/name.out} and {@code .err}. */
  static ClientProcess start(Path dir, String name, List<String> args) throws IOException {
    Path out = dir.resolve(name + ".out");
    Path err = dir.resolve(name + ".err");
    Process p = ChildJvm.command(MAIN, args)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    return new ClientProcess(p, out, err);
  }

  Process process() {
    return process;
  }

  /** Waits for the exit; fails the test if it takes longer than {@code seconds}. */
  int await(int seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("client-demo still running after " + seconds + "s; stderr:\n"
          + err());
    }
    return process.exitValue();
  }

  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  String out() {
    return ChildJvm.read(stdout);
  }

  String err() {
    return ChildJvm.read(stderr);
  }

  /** The --json line: exactly one line on stdout, one JSON object. */
  String json() {
    String out = out().strip();
    assertFalse(out.contains("\n"), "one line on stdout: " + out);
    assertTrue(out.startsWith("{") && out.endsWith("}"), out);
    return out;
  }

  /** A field of the flat --json object: the number, or the string without quotes. */
  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":(\"([^\"]*)\"|[-0-9.]+)").matcher(json);
    assertTrue(m.find(), name + " in " + json);
    return m.group(2) != null ? m.group(2) : m.group(1);
  }

  static long longField(String json, String name) {
    return Long.parseLong(field(json, name));
  }
}
