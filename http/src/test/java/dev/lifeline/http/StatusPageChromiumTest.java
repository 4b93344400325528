package dev.lifeline.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.TransferListener;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real browser: headless Chromium (Debian's {@code chromium}) loads {@code
 * /} while a download is being cut and resumed, lets the page's script fetch {@code
 * /status.json}, and the rendered DOM must show the transfer with its resumes and the resume
 * events. Chromium does not know the development CA, so this test alone runs it with {@code
 * --ignore-certificate-errors} (it still speaks TLS to the real server, on loopback).
 *
 * <p>It also takes a screenshot to {@code target/status-page.png}; with {@code
 * -Dlifeline.statusScreenshot=PATH} it is copied there (that is how {@code
 * docs/img/status-page.png} is made).
 */
class StatusPageChromiumTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Pattern TRANSFER_ROW = Pattern.compile(
      "<tr[^>]*data-session=\"([^\"]+)\"[^>]*data-resumes=\"(\\d+)\"[^>]*class=\"transfer\"[^>]*>"
      + "<td class=\"name\">([^<]*)</td>");

  @TempDir Path dir;

  @Test
  void pageShowsTheTransferAndItsResumes() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed");
    try (HttpTestServer server = new HttpTestServer(dir)) {
      server.putFile("movie.bin", 24 << 20, 9);
      LifelineClient client = server.client(dir, "cut=1M..2M,mode=rst,count=3", 4);
      CountDownLatch release = new CountDownLatch(1);
      AtomicBoolean held = new AtomicBoolean();
      Thread download = new Thread(() -> heldDownload(server, client, held, release),
          "test-download");
      download.setDaemon(true);
      download.start();
      try {
        // The three cuts come within the first ~6 MiB; the download then holds at half way.
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
            held.get() && !server.files.activeTransfers().isEmpty()
                && server.server.sessions().stream().anyMatch(s -> s.stats().reconnects() >= 3));

        String dom = chromium(dir, "--dump-dom", server.url("/"));
        Matcher row = TRANSFER_ROW.matcher(dom);
        assertTrue(row.find(), "no transfer row in the page:\n" + dom);
        assertEquals("movie.bin", row.group(3));
        assertTrue(Integer.parseInt(row.group(2)) >= 1, "resumes shown: " + row.group(2));
        assertTrue(dom.contains("class=\"event resume\""), "no resume event:\n" + dom);
        assertTrue(dom.contains("class=\"event disconnect\""), "no disconnect event:\n" + dom);
        assertTrue(dom.contains("<polyline"), "no throughput chart:\n" + dom);

        Path shot = Path.of("target", "status-page.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        chromium(dir, "--screenshot=" + shot, "--window-size=1280,900", "--hide-scrollbars",
            server.url("/"));
        assertTrue(Files.size(shot) > 10_000, "screenshot too small");
        String keep = System.getProperty("lifeline.statusScreenshot");
        if (keep != null && !keep.isBlank()) {
          Files.copy(shot, Path.of(keep), StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        release.countDown();
        client.close();
        download.join(30_000);
      }
    }
  }

  /**
   * Downloads, and holds still at half way until {@code release} (the listener blocks the
   * client's callback thread; the client stops reading, the session stays connected), so the
   * page sees the transfer in progress however slow the machine is.
   */
  private static void heldDownload(HttpTestServer server, LifelineClient client,
      AtomicBoolean held, CountDownLatch release) {
    TransferListener slow = new TransferListener() {
      @Override
      public void progress(long done) {
        try {
          if (done >= 12 << 20) {
            held.set(true);
            release.await(120, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    try {
      new FileTransferClient(client, "127.0.0.1:" + server.server.port())
          .download("movie.bin", server.dir.resolve("movie.download"), slow);
    } catch (Exception e) {
      // The test closes the client once it has looked at the page.
    }
  }

  /** Runs headless Chromium with a fresh profile; returns what it printed on stdout. */
  static String chromium(Path dir, String... args) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory(dir, "chromium-profile");
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless",
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile,
        "--ignore-certificate-errors", "--virtual-time-budget=4000"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("chromium.err").toFile())
        .start();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("chromium did not finish: " + cmd);
    }
    assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(dir.resolve(
        "chromium.err")));
    return new String(out, StandardCharsets.UTF_8);
  }
}
