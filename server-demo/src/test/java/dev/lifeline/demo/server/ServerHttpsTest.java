package dev.lifeline.demo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.demo.testing.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo server answers curl on its Lifeline port as docs/demo.md shows: {@code curl --cacert
 * D/tls/ca.pem https://127.0.0.1:PORT/files/NAME -C -}, the status page and the metrics.
 */
class ServerHttpsTest {
  @TempDir Path dir;

  @Test
  void curlDownloadsAndReadsTheStatusPage() throws Exception {
    Path data = dir.resolve("data");
    byte[] content = new byte[1 << 20];
    new Random(5).nextBytes(content);
    Files.createDirectories(data.resolve("files"));
    Files.write(data.resolve("files/report.bin"), content);
    try (ServerProcess server = ServerProcess.start(data, 0, dir.resolve("server.log"))) {
      String base = "https://127.0.0.1:" + server.port();
      Path out = dir.resolve("report.bin");
      Files.write(out, java.util.Arrays.copyOf(content, 1000)); // as if cut after 1000 bytes
      assertEquals("206", curl(data, "--continue-at", "-", "--output", out.toString(),
          "--write-out", "%{http_code}", base + "/files/report.bin"));
      assertEquals(sha(content), sha(Files.readAllBytes(out)));
      assertTrue(curl(data, base + "/").contains("<title>Lifeline status</title>"));
      assertTrue(curl(data, base + "/metrics").contains("lifeline_handshakes_total"));
      server.stop();
    }
  }

  static String curl(Path data, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "--silent", "--show-error", "--fail",
        "--cacert", data.resolve("tls/ca.pem").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "curl " + cmd);
    return out;
  }

  static String sha(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
