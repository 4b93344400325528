package dev.lifeline.transfer;

import static dev.lifeline.transfer.TreeUploadFixture.sha;
import static dev.lifeline.transfer.TreeUploadFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 files of 64 KiB in one set, on the server's default checkpoint cadence: no fsync and no
 * round trip per file may sit on the critical path. The bound is loose (a loaded 2-core machine);
 * the time is printed for docs/trees.md.
 */
class TreeUploadSpeedTest {
  @TempDir Path dir;
  TreeUploadFixture f;

  @BeforeEach
  void start() throws Exception {
    f = new TreeUploadFixture(dir);
    f.server.close();
    f.files = FileTransferServer.builder(dir.resolve("data/files")).build(); // 16 MiB or 1 s
    f.server = LifelineServer.builder()
        .port(f.port)
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("data/tls")).build())
        .store(f.serverStore)
        .handler(f.files.handler())
        .start();
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void aThousandFilesOf64KiBGoInAFewSeconds() throws Exception {
    Path src = dir.resolve("src");
    for (int i = 0; i < 1000; i++) {
      write(src, String.format("d%02d/f%04d.bin", i % 20, i), 64 * 1024);
    }
    try (LifelineClient client = f.client(32 << 20)) {
      FileTransferClient t = new FileTransferClient(client, f.server());
      long warm = System.nanoTime();
      t.uploadTree(src, "warm-up", TreeListener.NONE); // class loading and JIT, as a second run
      System.out.printf("TreeUploadSpeedTest: first run %.2f s%n", (System.nanoTime() - warm) / 1e9);
      var os = (com.sun.management.OperatingSystemMXBean)
          java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      long cpu = os.getProcessCpuTime();
      long start = System.nanoTime();
      TreeResult r = t.uploadTree(src, "set", TreeListener.NONE);
      double seconds = (System.nanoTime() - start) / 1e9;
      // CPU time of client and server together: what a busy machine does not distort
      System.out.printf("TreeUploadSpeedTest: 1000 x 64 KiB in %.2f s (%.1f MiB/s), %.2f CPU s,"
          + " load %.1f%n", seconds, 1000 * 64 / 1024.0 / seconds,
          (os.getProcessCpuTime() - cpu) / 1e9, os.getSystemLoadAverage());
      assertTrue(r.ok(), r.toJson());
      assertEquals(1000, r.files());
      assertEquals(sha(src.resolve("d19/f0999.bin")), sha(f.stored("set/d19/f0999.bin")));
      assertTrue(seconds < 20, r.toJson());
    }
  }
}
