package dev.lifeline.demo.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;

/**
 * A server-demo running in a child JVM: started, then ready once it printed {@code listening on
 * HOST:PORT}, exactly the contract scripts rely on. Its stderr goes to a log file (appended to
 * across restarts) so a failing test can show it.
 *
 * <pre>{@code
 * try (ServerProcess server = ServerProcess.start(dataDir, 0, log)) {
 *   ... server.address() ...
 *   server.kill();                                            // SIGKILL
 *   ServerProcess again = ServerProcess.start(dataDir, server.port(), log);
 * }
 * }</pre>
 */
public final class ServerProcess implements AutoCloseable {
  public static final String MAIN = "dev.lifeline.demo.server.ServerMain";
  private static final String READY = "listening on ";

  private final Process process;
  private final Path dataDir;
  private final Path log;
  private final String address;
  /** Lines on stdout after the ready line; written by the reader thread. */
  private final List<String> laterStdout;

  private ServerProcess(Process process, Path dataDir, Path log, String address,
      List<String> laterStdout) {
    this.process = process;
    this.dataDir = dataDir;
    this.log = log;
    this.address = address;
    this.laterStdout = laterStdout;
  }

  /**
   * Starts a server with {@code --idle-timeout 2s} and waits (up to a minute) until it is ready.
   *
   * @throws AssertionError with the server's log if it exits or stays silent instead
   */
  public static ServerProcess start(Path dataDir, int port, Path log, String... extraArgs)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("--port", String.valueOf(port),
        "--data-dir", dataDir.toString(), "--idle-timeout", "2s"));
    args.addAll(List.of(extraArgs));
    Process p = ChildJvm.command(MAIN, args)
        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    CompletableFuture<String> ready = new CompletableFuture<>();
    List<String> later = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread reader = new Thread(() -> readStdout(p, ready, later), "server-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      return new ServerProcess(p, dataDir, log, ready.get(60, TimeUnit.SECONDS), later);
    } catch (ExecutionException | TimeoutException e) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("server-demo did not get ready (" + e.getMessage() + "); log:\n"
          + ChildJvm.read(log));
    }
  }

  private static void readStdout(Process p, CompletableFuture<String> ready, List<String> later) {
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (!ready.isDone() && line.startsWith(READY)) {
          ready.complete(line.substring(READY.length()).trim());
        } else {
          later.add(line);
        }
      }
    } catch (IOException e) {
      // the process died; the end of the stream below says so
    }
    ready.completeExceptionally(new IOException("stdout ended before '" + READY + "'"));
  }

  /** "HOST:PORT" from the ready line. */
  public String address() {
    return address;
  }

  public int port() {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  public Process process() {
    return process;
  }

  /** Stdout lines after the ready line (there should be none). */
  public List<String> laterStdout() {
    return List.copyOf(laterStdout);
  }

  /** SIGKILL, and waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /**
   * The server's metrics in Prometheus text, fetched with curl over HTTPS on its port as an
   * operator would (trusting the server's development CA in {@code DATA/tls/ca.pem}).
   */
  public String metrics() throws IOException, InterruptedException {
    Process curl = new ProcessBuilder("curl", "--silent", "--show-error", "--fail", "--cacert",
        dataDir.resolve("tls/ca.pem").toString(), "https://" + address + "/metrics")
        .redirectErrorStream(true).start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (curl.waitFor() != 0) {
      throw new IOException("curl /metrics failed: " + out);
    }
    return out;
  }

  /**
   * Waits until the server holds no session: every session a client ended has been ended here
   * too. A client's close completes once its CLOSE is written, so the server may still be taking
   * it in when the client has exited; a {@link #stop} before then keeps that session on disk
   * (until it expires), as a crash would.
   */
  public void awaitNoSessionHeld(Duration atMost) {
    Awaitility.await("server-demo holds no session").atMost(atMost)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> sessionsHeld(metrics()) == 0);
  }

  private static double sessionsHeld(String metrics) {
    return metrics.lines().filter(l -> l.startsWith("lifeline_sessions_active"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst().orElseThrow(() -> new AssertionError("no lifeline_sessions_active in\n"
            + metrics));
  }

  /** SIGTERM; returns the exit code once the process ended (143 after a clean shutdown). */
  public int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("server-demo did not stop within 30s of SIGTERM; log:\n" + log());
    }
    return process.exitValue();
  }

  public String log() {
    return ChildJvm.read(log);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
