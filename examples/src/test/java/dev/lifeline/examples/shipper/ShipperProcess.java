package dev.lifeline.examples.shipper;

import dev.lifeline.demo.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code lifeline-examples shipper-server} or {@code shipper-client} in a child JVM, its stderr
 * appended to a log file: killing it with SIGKILL is exactly killing the real program.
 *
 * <pre>{@code
 * ShipperProcess server = ShipperProcess.server(dataDir, 0, out, log);  // waits for "listening on"
 * ShipperProcess client = ShipperProcess.client(server.address(), dataDir.resolve("tls/ca.pem"),
 *     state, 30_000, 200, dir, "client-1");
 * assertEquals(0, client.await(60));
 * }</pre>
 */
final class ShipperProcess implements AutoCloseable {
  static final String MAIN = "dev.lifeline.examples.ExamplesMain";
  private static final String READY = "listening on ";

  private final Process process;
  private final Path stdout;
  private final Path stderr;
  /** The server's "HOST:PORT" from its ready line; null for a client. */
  private final String address;

  private ShipperProcess(Process process, Path stdout, Path stderr, String address) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
    this.address = address;
  }

  /** How a program is started: the main class on the test's class path, or the packaged jar. */
  interface Launcher {
    ProcessBuilder command(List<String> args);
  }

  /** The main class in a child JVM on this JVM's class path. */
  static final Launcher CLASS_PATH = args -> ChildJvm.command(MAIN, args);

  /** {@code java -jar JAR args...}, as a user runs it. */
  static Launcher jar(Path jar) {
    return args -> {
      List<String> cmd = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
          jar.toString()));
      cmd.addAll(args);
      return new ProcessBuilder(cmd);
    };
  }

  /** Starts a server and waits (up to a minute) until it printed its ready line. */
  static ShipperProcess server(Path dataDir, int port, Path out, Path log, String... extraArgs)
      throws IOException, InterruptedException {
    return server(CLASS_PATH, dataDir, port, out, log, extraArgs);
  }

  /** As {@link #server(Path, int, Path, Path, String...)}, started by {@code launcher}. */
  static ShipperProcess server(Launcher launcher, Path dataDir, int port, Path out, Path log,
      String... extraArgs) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("shipper-server", "--port", String.valueOf(port),
        "--data-dir", dataDir.toString(), "--out", out.toString(), "--idle-timeout", "2s"));
    args.addAll(List.of(extraArgs));
    Process p = launcher.command(args)
        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    CompletableFuture<String> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> awaitReady(p, ready), "shipper-server-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      return new ShipperProcess(p, null, log, ready.get(60, TimeUnit.SECONDS));
    } catch (ExecutionException | TimeoutException e) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("shipper-server did not get ready (" + e.getMessage() + "); log:\n"
          + ChildJvm.read(log));
    }
  }

  private static void awaitReady(Process p, CompletableFuture<String> ready) {
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith(READY)) {
          ready.complete(line.substring(READY.length()).trim());
        }
      }
    } catch (IOException e) {
      // the process died: the end of the stream says so
    }
    ready.completeExceptionally(new IOException("stdout ended before '" + READY + "'"));
  }

  /** Starts {@code shipper-client ARGS...}; stdout and stderr go to {@code dir/name.out|.err}. */
  static ShipperProcess client(Path dir, String name, List<String> args) throws IOException {
    return client(CLASS_PATH, dir, name, args);
  }

  /** As {@link #client(Path, String, List)}, started by {@code launcher}. */
  static ShipperProcess client(Launcher launcher, Path dir, String name, List<String> args)
      throws IOException {
    Path out = dir.resolve(name + ".out");
    Path err = dir.resolve(name + ".err");
    List<String> all = new ArrayList<>(List.of("shipper-client"));
    all.addAll(args);
    Process p = launcher.command(all)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    return new ShipperProcess(p, out, err, null);
  }

  /** The arguments of a client that sends {@code records} records of {@code bytes} bytes. */
  static List<String> clientArgs(String server, Path ca, Path state, long records, int bytes) {
    return List.of("--server", server, "--ca", ca.toString(), "--state", state.toString(),
        "--records", String.valueOf(records), "--record-bytes", String.valueOf(bytes),
        "--idle-timeout", "2s");
  }

  String address() {
    return address;
  }

  int port() {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits for the exit; fails the test if it takes longer than {@code seconds}. */
  int await(int seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("still running after " + seconds + "s; stderr:\n" + err());
    }
    return process.exitValue();
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  String out() {
    return stdout == null ? "" : ChildJvm.read(stdout);
  }

  String err() {
    return ChildJvm.read(stderr);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
