package dev.lifeline.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.Authenticator;
import dev.lifeline.LifelineClient;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} parses as strict Prometheus text, and its counters move when transfers are
 * cut and resume: resume attempts, resumed TLS handshakes, disconnects, replayed bytes, resume
 * latency and checkpoint commit latency.
 */
class MetricsTest {
  @TempDir Path dir;

  @Test
  void countersMoveWhenTransfersResume() throws Exception {
    try (HttpTestServer server = new HttpTestServer(dir)) {
      PrometheusText before = scrape(server);
      assertTrue(before.has("lifeline_sessions_active{}"), before.samples.toString());
      assertTrue(before.has("lifeline_transfers_active{direction=upload}"));
      assertTrue(before.has("lifeline_replay_buffer_bytes{}"));
      assertEquals(0, before.value("lifeline_resume_attempts_total{outcome=resumed}"));

      byte[] data = new byte[6 << 20];
      new Random(3).nextBytes(data);
      Path source = dir.resolve("up.bin");
      Files.write(source, data);
      String address = "127.0.0.1:" + server.server.port();
      // Upload: the server commits checkpoints. Download: the server resends what was cut.
      try (LifelineClient up = server.client(dir, "cut=512K..1M,mode=rst,count=2", 1)) {
        new FileTransferClient(up, address).upload(source, "up.bin", TransferListener.NONE);
      }
      TransferResult down;
      try (LifelineClient client = server.client(dir, "cut=512K..1M,mode=rst,count=2", 2)) {
        down = new FileTransferClient(client, address)
            .download("up.bin", dir.resolve("down.bin"), TransferListener.NONE);
      }
      assertEquals(HttpTestServer.sha256(source), down.sha256());

      PrometheusText after = scrape(server);
      System.out.println("metrics after the transfers: " + after.samples);
      double resumed = after.value("lifeline_resume_attempts_total{outcome=resumed}");
      assertTrue(resumed >= 4, "four cuts, four resumes: " + resumed);
      assertEquals(resumed, after.value("lifeline_resume_latency_seconds_count{}"));
      assertTrue(after.value("lifeline_handshakes_total{type=resumed}")
          > before.value("lifeline_handshakes_total{type=resumed}"), "TLS tickets reused");
      assertTrue(after.value("lifeline_handshakes_total{type=full}") >= 2);
      assertTrue(after.value("lifeline_disconnects_total{}") >= 4);
      assertTrue(after.value("lifeline_replayed_bytes_total{}") > 0, "download cuts replay");
      assertTrue(after.value("lifeline_checkpoint_commit_seconds_count{}") > 0);
      assertEquals(2, after.value("lifeline_sessions_opened_total{}"));
      assertEquals("histogram", after.types.get("lifeline_resume_latency_seconds"));
      assertEquals("counter", after.types.get("lifeline_replayed_bytes_total"));
    }
  }

  @Test
  void accessIsLimitedAsConfigured() throws Exception {
    try (HttpTestServer server = new HttpTestServer(dir, Authenticator.DEFAULT, Access.NOBODY,
        Access.CLIENT_CERTIFICATE)) {
      // curl connects from loopback without a client certificate.
      assertEquals("403", code(server, "/metrics"));
      assertEquals("404", code(server, "/"));
      assertEquals("404", code(server, "/status.json"));
    }
  }

  @Test
  void parserRejectsMalformedText() {
    assertThrows(IllegalArgumentException.class,
        () -> PrometheusText.parse("x_total 1\n"), "sample before TYPE");
    assertThrows(IllegalArgumentException.class,
        () -> PrometheusText.parse("# TYPE x counter\nx{a=\"1} 1\n"), "unterminated label");
    assertThrows(IllegalArgumentException.class,
        () -> PrometheusText.parse("# TYPE x gauge\nx one\n"), "bad value");
    assertThrows(IllegalArgumentException.class,
        () -> PrometheusText.parse("# TYPE x gauge\nx 1\nx 2\n"), "duplicate");
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse(
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n"),
        "decreasing buckets");
    assertEquals(1.5, PrometheusText.parse("# TYPE x gauge\nx{a=\"q\\\"\"} 1.5\n")
        .value("x{a=q\"}"));
  }

  static PrometheusText scrape(HttpTestServer server) throws Exception {
    HttpTestServer.Run r = server.curl("--fail", "--dump-header", server.dir.resolve("h")
        .toString(), server.url("/metrics"));
    assertEquals(0, r.exit(), r.toString());
    String headers = Files.readString(server.dir.resolve("h"));
    assertEquals("text/plain; version=0.0.4; charset=utf-8",
        FileDownloadTest.header(headers, "content-type"));
    return PrometheusText.parse(r.out());
  }

  static String code(HttpTestServer server, String path) throws Exception {
    return server.curl("--write-out", "%{http_code}", "--output", "/dev/null",
        server.url(path)).out();
  }
}
