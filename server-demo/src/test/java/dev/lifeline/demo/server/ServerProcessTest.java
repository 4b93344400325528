package dev.lifeline.demo.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.demo.testing.ChildJvm;
import dev.lifeline.demo.testing.ServerProcess;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as scripts see it: a child JVM, its ready line, its files, SIGTERM. */
class ServerProcessTest {
  @TempDir Path dir;

  @Test
  void createsDevelopmentCertificatesOnceAndStopsCleanlyOnSigterm() throws Exception {
    Path data = dir.resolve("data");
    Path log = dir.resolve("server.log");
    int port;
    byte[] ca;
    try (ServerProcess server = ServerProcess.start(data, 0, log)) {
      assertTrue(server.address().startsWith("127.0.0.1:"), server.address());
      port = server.port();
      for (String f : List.of("ca.pem", "server.pem", "server.key")) {
        assertTrue(Files.isRegularFile(data.resolve("tls").resolve(f)), f);
      }
      ca = Files.readAllBytes(data.resolve("tls/ca.pem"));
      assertEquals(143, server.stop(), "exit code after SIGTERM; log:\n" + server.log());
      assertEquals(List.of(), server.laterStdout(), "stdout carries only the ready line");
    }
    assertTrue(ChildJvm.read(log).contains("stopped"), ChildJvm.read(log));
    // Same data dir and port again: the store lock was released, the certificates are reused.
    try (ServerProcess again = ServerProcess.start(data, port, log)) {
      assertEquals(port, again.port());
      assertArrayEquals(ca, Files.readAllBytes(data.resolve("tls/ca.pem")));
      again.stop();
    }
    assertFalse(ChildJvm.read(log).contains("LEAK:"), ChildJvm.read(log));
  }

  @Test
  void portInUseIsOneClearLine() throws Exception {
    Path log = dir.resolve("server.log");
    try (ServerProcess first = ServerProcess.start(dir.resolve("one"), 0, log)) {
      Path err = dir.resolve("second.err");
      Process second = ChildJvm.command(ServerProcess.MAIN, List.of("--port",
              String.valueOf(first.port()), "--data-dir", dir.resolve("two").toString()))
          .redirectError(err.toFile())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      assertTrue(second.waitFor(60, TimeUnit.SECONDS));
      String text = ChildJvm.read(err);
      assertEquals(ServerMain.EXIT_CANNOT_START, second.exitValue(), text);
      assertTrue(text.contains("server-demo: cannot start: cannot listen on 127.0.0.1:"
          + first.port()), text);
      assertFalse(text.contains("\tat "), text);
    }
  }

  @Test
  void perSourceConnectionLimitIsSetByItsFlag() throws Exception {
    Path log = dir.resolve("server.log");
    try (ServerProcess server = ServerProcess.start(dir.resolve("data"), 0, log,
        "--max-connections-per-source", "2");
        Socket first = new Socket("127.0.0.1", server.port());
        Socket second = new Socket("127.0.0.1", server.port());
        Socket third = new Socket("127.0.0.1", server.port())) {
      // The third connection from 127.0.0.1 is reset at accept, before any TLS byte ...
      third.setSoTimeout(10_000);
      try {
        assertEquals(-1, third.getInputStream().read(), "the server closed the third connection");
      } catch (SocketException reset) {
        // reset: closed as well
      }
      // ... while the first two are still open: the server waits for their ClientHello.
      for (Socket open : List.of(first, second)) {
        open.setSoTimeout(500);
        assertThrows(SocketTimeoutException.class, () -> open.getInputStream().read());
      }
    }
  }

  @Test
  void tlsGroupsFlagLimitsTheKeyExchange() throws Exception {
    Path data = dir.resolve("data");
    try (ServerProcess server = ServerProcess.start(data, 0, dir.resolve("server.log"),
        "--tls-groups", "x25519")) {
      Path ca = data.resolve("tls/ca.pem");
      String x25519 = sClient(server.port(), ca, "X25519");
      assertTrue(x25519.contains("CONNECTION ESTABLISHED"), x25519);
      String p384 = sClient(server.port(), ca, "P-384");
      assertFalse(p384.contains("CONNECTION ESTABLISHED"), p384);
      assertTrue(p384.contains("handshake failure"), p384);
    }
  }

  /** {@code openssl s_client} offering only {@code group}: what it printed. */
  private String sClient(int port, Path ca, String group) throws Exception {
    Path out = Files.createTempFile(dir, "s_client", ".txt");
    Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port,
        "-groups", group, "-CAfile", ca.toString(), "-brief")
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl s_client finished");
    return Files.readString(out);
  }
}
