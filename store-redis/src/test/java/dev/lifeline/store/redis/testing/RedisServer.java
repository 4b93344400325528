package dev.lifeline.store.redis.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} for tests: its own process on a free loopback port, with its data in
 * a given directory, configured as the Redis store expects (append-only file, {@code appendfsync
 * always}, no RDB snapshots). It can be killed (SIGKILL, as a crash) or stopped and started again
 * on the same port and data, to test what clients see while Redis is gone and after it returns.
 *
 * <p>The binary is {@code $LIFELINE_REDIS_SERVER}, else {@code /usr/bin/redis-server}, else
 * {@code redis-server} on the PATH. A missing binary fails the test with a message saying how to
 * install it: these tests must not silently skip.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start(tempDir)) {
 *   RedisCheckpointStore store = RedisCheckpointStore.builder(redis.uri()).build();
 *   redis.kill();  // Redis crashes
 *   redis.start(); // and comes back with its AOF
 * }
 * }</pre>
 */
public final class RedisServer implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final List<String> extraArgs;
  private Process process;

  private RedisServer(Path dir, int port, List<String> extraArgs) {
    this.dir = dir;
    this.port = port;
    this.extraArgs = extraArgs;
  }

  /** Starts a durable Redis (AOF, fsync always) with its data under {@code dir}. */
  public static RedisServer start(Path dir, String... extraArgs) throws IOException {
    Files.createDirectories(dir);
    RedisServer server = new RedisServer(dir, freePort(), List.of(extraArgs));
    server.start();
    return server;
  }

  /**
   * Starts a durable Redis on a port the caller chose, for {@link RedisCluster}, whose nodes
   * also need their port plus 10000 (the cluster bus) free.
   */
  static RedisServer startOn(Path dir, int port, String... extraArgs) throws IOException {
    Files.createDirectories(dir);
    RedisServer server = new RedisServer(dir, port, List.of(extraArgs));
    server.start();
    return server;
  }

  /** The path of the redis-server binary, or a failure that says how to get it. */
  public static String binary() {
    String env = System.getenv("LIFELINE_REDIS_SERVER");
    if (env != null && !env.isEmpty()) {
      return env;
    }
    if (Files.isExecutable(Path.of("/usr/bin/redis-server"))) {
      return "/usr/bin/redis-server";
    }
    for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!p.isEmpty() && Files.isExecutable(Path.of(p, "redis-server"))) {
        return Path.of(p, "redis-server").toString();
      }
    }
    throw new IllegalStateException("redis-server not found (not in $LIFELINE_REDIS_SERVER, "
        + "/usr/bin or the PATH); these tests need a real Redis: apt-get install redis-server "
        + "(.ci/run installs it)");
  }

  /** Starts (again) on the same port and data directory; returns once it accepts commands. */
  public synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("redis-server on port " + port + " is already running");
    }
    List<String> cmd = new ArrayList<>(List.of(binary(),
        "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--dir", dir.toAbsolutePath().toString(),
        "--appendonly", "yes", "--appendfsync", "always", "--save", "",
        "--protected-mode", "no", "--daemonize", "no",
        "--logfile", dir.resolve("redis.log").toAbsolutePath().toString()));
    cmd.addAll(extraArgs);
    process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis.out").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("redis-server exited with " + process.exitValue() + ": "
            + tail(dir.resolve("redis.log")) + tail(dir.resolve("redis.out")));
      }
      if (answersPing()) {
        return;
      }
      sleep(20);
    }
    throw new IOException("redis-server on port " + port + " did not start within 20 s: "
        + tail(dir.resolve("redis.log")));
  }

  /** Kills Redis with SIGKILL, as a crash; its AOF keeps what it acknowledged. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor(process);
    }
  }

  /** Stops Redis with SIGTERM. */
  public synchronized void stop() {
    if (process != null) {
      process.destroy();
      waitFor(process);
    }
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:PORT}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Runs one command through a plain socket (inline protocol) and returns the raw reply. */
  public String command(String... words) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
      s.setSoTimeout(5000);
      StringBuilder req = new StringBuilder("*" + words.length + "\r\n");
      for (String w : words) {
        req.append('$').append(w.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
            .append(w).append("\r\n");
      }
      s.getOutputStream().write(req.toString().getBytes(StandardCharsets.UTF_8));
      byte[] buf = new byte[65536];
      int n = s.getInputStream().read(buf);
      return n < 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8);
    }
  }

  @Override
  public void close() {
    kill();
  }

  private boolean answersPing() {
    try {
      return command("PING").startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  private static void waitFor(Process p) {
    try {
      p.waitFor(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
