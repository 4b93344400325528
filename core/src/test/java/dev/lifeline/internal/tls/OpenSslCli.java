package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code openssl} binary: a TLS client none of us wrote. */
final class OpenSslCli {
  /** Exit code and combined stdout/stderr of one run. */
  static final class Run {
    final int exitCode;
    final String output;

    Run(int exitCode, String output) {
      this.exitCode = exitCode;
      this.output = output;
    }

    @Override
    public String toString() {
      return "exit " + exitCode + ":\n" + output;
    }
  }

  private OpenSslCli() {
  }

  /** Skips the calling test, with the reason, when no {@code openssl} is on the PATH. */
  static void assumeInstalled() {
    boolean installed;
    try {
      installed = run(List.of("version")).exitCode == 0;
    } catch (IOException e) {
      installed = false;
    }
    assumeTrue(installed, "the openssl command is not installed (CI installs it: apt-get install openssl)");
  }

  /** {@code openssl s_client} against 127.0.0.1:port with stdin empty; it ends when the server closes. */
  static Run sClient(int port, String... arguments) throws IOException {
    List<String> command = new ArrayList<>(List.of("s_client", "-connect", "127.0.0.1:" + port,
        "-ign_eof"));
    command.addAll(List.of(arguments));
    return run(command);
  }

  /**
   * Starts {@code openssl s_client} against 127.0.0.1:port with stdin open, so that it stays
   * connected without writing anything until {@link #stop} closes its stdin.
   */
  static Process startSClient(int port, List<String> arguments) throws IOException {
    List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect",
        "127.0.0.1:" + port));
    command.addAll(arguments);
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /** Ends a client from {@link #startSClient} by closing its stdin, and returns what it printed. */
  static Run stop(Process process) throws IOException {
    if (process.isAlive()) {
      process.getOutputStream().close();
    }
    return finish(process, List.of("s_client"));
  }

  /** {@code openssl ARGUMENTS} with stdin empty. */
  static Run run(List<String> arguments) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(arguments);
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectInput(new File("/dev/null"))
        .start();
    return finish(process, command);
  }

  private static Run finish(Process process, List<String> command) throws IOException {
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("openssl did not finish within 20 s: " + command);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(process.exitValue(), output);
  }
}
