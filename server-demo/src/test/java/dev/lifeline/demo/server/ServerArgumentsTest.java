package dev.lifeline.demo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad command lines and unusable files: each gives one line on stderr naming the culprit, no stack
 * trace, and the documented exit code. Runs in-process; none of these may get as far as serving.
 */
class ServerArgumentsTest {
  @TempDir Path dir;

  /** What one run printed and returned. */
  record Run(int code, String out, String err) {}

  private Run run(String... args) {
    return assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = ServerMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      return new Run(code, out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    });
  }

  private String[] withBase(String... more) {
    List<String> args = new ArrayList<>(List.of("--port", "0", "--data-dir", dir.resolve("data").toString()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  private static void assertOneLineError(Run r, int code, String... fragments) {
    assertEquals(code, r.code(), r.err());
    String[] lines = r.err().strip().split("\n");
    String line = lines[lines.length - 1];
    assertTrue(line.startsWith("server-demo: "), r.err());
    for (String f : fragments) {
      assertTrue(line.contains(f), "expected '" + f + "' in: " + line);
    }
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    assertFalse(r.out().contains("listening on"), r.out());
  }

  @Test
  void requiresPortAndDataDir() {
    assertOneLineError(run("--data-dir", dir.toString()), 2, "--port");
    assertOneLineError(run("--port", "0"), 2, "--data-dir");
  }

  @Test
  void refusesBadDurations() {
    assertOneLineError(run(withBase("--idle-timeout", "2")), 2, "--idle-timeout", "'2'",
        "500ms");
    assertOneLineError(run(withBase("--idle-timeout", "0s")), 2, "'0s'");
    assertOneLineError(run(withBase("--session-ttl", "1 day")), 2, "--session-ttl");
  }

  @Test
  void refusesBadSizes() {
    assertOneLineError(run(withBase("--max-file-size", "1.5G")), 2, "--max-file-size", "'1.5G'",
        "8M");
    assertOneLineError(run(withBase("--max-file-size", "0")), 2, "--max-file-size", "at least 1");
  }

  @Test
  void refusesBadPorts() {
    assertOneLineError(run("--port", "70000", "--data-dir", dir.toString()), 2, "--port",
        "0..65535");
    assertOneLineError(run("--port", "http", "--data-dir", dir.toString()), 2, "--port");
  }

  @Test
  void refusesBadConnectionCaps() {
    assertOneLineError(run(withBase("--max-connections", "0")), 2, "--max-connections", "> 0");
    assertOneLineError(run(withBase("--max-connections", "many")), 2, "--max-connections",
        "'many'");
    assertOneLineError(run(withBase("--max-connections-per-source", "0")), 2,
        "--max-connections-per-source", "> 0");
    assertOneLineError(run(withBase("--max-handshakes-per-source", "-1")), 2,
        "--max-handshakes-per-source", "> 0");
  }

  @Test
  void certAndKeyGoTogether() throws IOException {
    Path pem = Files.writeString(dir.resolve("server.pem"), "x");
    assertOneLineError(run(withBase("--cert", pem.toString())), 2,
        "--cert given without --key", "both or neither");
    assertOneLineError(run(withBase("--key", pem.toString())), 2,
        "--key given without --cert");
  }

  @Test
  void unknownStoreIsRefused() {
    assertOneLineError(run(withBase("--store", "mapdb")), 2, "'mapdb'",
        "file, redis://HOST:PORT or redis-cluster://HOST:PORT[,HOST:PORT...]");
    assertOneLineError(run(withBase("--store", "cluster://127.0.0.1:7001")), 2,
        "'cluster://127.0.0.1:7001'", "redis-cluster://HOST:PORT[,HOST:PORT...]");
  }

  /** The store's builder parses the URI without connecting; its message names the forms. */
  @Test
  void malformedRedisUrisAreUsageErrors() {
    String form = "redis-cluster://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]";
    for (String uri : new String[] {"redis-cluster://", "redis-cluster://127.0.0.1",
        "rediss-cluster://127.0.0.1:7001,:7002", "redis-cluster://127.0.0.1:7001,,10.0.0.6:7001",
        "redis-cluster://127.0.0.1:7001,", "redis-cluster://127.0.0.1:0",
        "redis-cluster://127.0.0.1:70000", "redis-cluster://127.0.0.1:7001/0",
        "redis-cluster://s3cret@127.0.0.1:7001", "redis://:s3cret@127.0.0.1:port"}) {
      Run r = run(withBase("--store", uri));
      assertOneLineError(r, 2, "--store", "not valid", form);
      assertFalse(r.err().contains("s3cret"), r.err());
    }
  }

  @Test
  void aMistypedSchemeDoesNotShowItsPassword() {
    Run r = run(withBase("--store", "redis-clustr://lifeline:s3cret@127.0.0.1:7001"));
    assertOneLineError(r, 2, "'redis-clustr://***@127.0.0.1:7001'", "redis-cluster://HOST:PORT");
    assertFalse(r.err().contains("s3cret"), r.err());
  }

  /**
   * A well-formed cluster URI passes the command line and reaches the store: with nothing
   * listening there it cannot start (exit 3, not the usage error's 2), in one line although the
   * cluster client reports each seed on a line of its own.
   */
  @Test
  void aClusterUriReachesTheStore() throws IOException {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Run r = run(withBase("--store", "rediss-cluster://:s3cret@127.0.0.1:" + closed
        + ",localhost:" + closed));
    assertOneLineError(r, ServerMain.EXIT_CANNOT_START, "cannot start",
        "Redis Cluster at 127.0.0.1:" + closed);
    assertEquals(1, r.err().strip().lines().count(), "one line, not one per seed: " + r.err());
    assertFalse(r.err().contains("s3cret"), r.err());
  }

  @Test
  void missingCertificateFileIsNamed() {
    Path missing = dir.resolve("nope.pem");
    assertOneLineError(run(withBase("--cert", missing.toString(), "--key", missing.toString())),
        ServerMain.EXIT_CANNOT_START, "cannot start", "--cert", missing.toString());
  }

  @Test
  void garbageCertificateIsNamed() throws IOException {
    Path cert = Files.writeString(dir.resolve("server.pem"), "not a certificate\n");
    Path key = Files.writeString(dir.resolve("server.key"), "not a key\n");
    assertOneLineError(run(withBase("--cert", cert.toString(), "--key", key.toString())),
        ServerMain.EXIT_CANNOT_START, "cannot start", cert.toString());
  }

  @Test
  void unusableDataDirIsNamed() throws IOException {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    assertOneLineError(run("--port", "0", "--data-dir", file.toString()),
        ServerMain.EXIT_CANNOT_START, "cannot start", "--data-dir", file.toString());
  }

  @Test
  void refusesUnknownOrUnusableTlsGroups() {
    assertOneLineError(run(withBase("--tls-groups", "x25519,X448")), 2, "--tls-groups",
        "unknown group 'X448'", "X25519MLKEM768, x25519, secp256r1");
    assertOneLineError(run(withBase("--tls-groups", "x25519::P-256")), 2, "--tls-groups",
        "empty item");
    assertOneLineError(run(withBase("--tls-groups", "X25519MLKEM768")), 2, "--tls-groups",
        "no group TLS 1.2 can use", "the demo also serves TLS 1.2");
  }

  @Test
  void helpListsOptionsAndExitCodes() {
    Run r = run("--help");
    assertEquals(0, r.code());
    for (String s : new String[] {"--port", "--data-dir", "--cert", "--key", "--idle-timeout",
        "--store", "--max-file-size", "--session-ttl", "--max-connections",
        "--max-connections-per-source", "--max-handshakes-per-source", "--tls-groups",
        "redis-cluster://HOST:PORT[,HOST:PORT...]",
        "X25519MLKEM768", "Exit codes:"}) {
      assertTrue(r.out().contains(s), s + " in\n" + r.out());
    }
  }
}
