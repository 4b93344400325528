package dev.lifeline.store.redis.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code redis-cli}, for {@link RedisCluster}'s create and reshard. */
final class RedisCli {
  private RedisCli() {}

  /**
   * The path of redis-cli: {@code $LIFELINE_REDIS_CLI}, else beside redis-server, else on the
   * PATH; or a failure that says how to get it (the cluster tests must not silently skip).
   */
  static String binary() {
    String env = System.getenv("LIFELINE_REDIS_CLI");
    if (env != null && !env.isEmpty()) {
      return env;
    }
    Path beside = Path.of(RedisServer.binary()).resolveSibling("redis-cli");
    if (Files.isExecutable(beside)) {
      return beside.toString();
    }
    for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!p.isEmpty() && Files.isExecutable(Path.of(p, "redis-cli"))) {
        return Path.of(p, "redis-cli").toString();
      }
    }
    throw new IllegalStateException("redis-cli not found (not in $LIFELINE_REDIS_CLI, beside "
        + "redis-server or on the PATH); the cluster tests need it: apt-get install redis-tools");
  }

  /** Runs {@code cmd} to its end with its output in {@code out}; a failure carries the output. */
  static void run(List<String> cmd, Path out) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
        .start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("redis-cli did not finish in 120 s: " + cmd + "\n"
            + RedisCluster.tail(out, 30));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running " + cmd, e);
    }
    if (p.exitValue() != 0) {
      throw new IOException("redis-cli exited with " + p.exitValue() + ": " + cmd + "\n"
          + RedisCluster.tail(out, 30));
    }
  }
}
