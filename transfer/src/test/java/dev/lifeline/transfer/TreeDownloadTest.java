package dev.lifeline.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tree downloads on real TLS over loopback into real directories. */
class TreeDownloadTest {
  private static final Logger log = LoggerFactory.getLogger(TreeDownloadTest.class);

  @TempDir Path dir;
  TreeDownloadFixture f;

  @BeforeEach
  void start() throws Exception {
    f = new TreeDownloadFixture(dir);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  /**
   * Nested directories, empty files, an empty directory, a component of the full 255 bytes,
   * unicode names, files across chunk boundaries: all arrive verified with their modification
   * times; nothing hidden is left behind. A re-run skips everything and asks for nothing.
   */
  @Test
  void downloadsAWholeTreeAndARerunSkipsEverything() throws Exception {
    f.serverFile("set/a/b/c.bin", 300 * 1024 + 5);
    f.serverFile("set/a/empty.txt", 0);
    f.serverFile("set/" + "x".repeat(255), 1000);
    f.serverFile("set/naïve/日本語 ✓.txt", 70_000);
    f.serverFile("set/top.bin", (1 << 20) + 7);
    f.serverFile("set/z/" + "é".repeat(127), 10);
    Files.createDirectories(f.files().resolve("set/emptydir/inner"));
    Path out = dir.resolve("out");
    try (LifelineClient client = f.client()) {
      TreeResult r = f.transfers(client).downloadTree("set/", out, TreeListener.NONE);
      assertTrue(r.ok(), r.toString());
      assertEquals(6, r.files(), r.toString());
      assertEquals(0, r.skipped());
      assertEquals(6, r.outcomes().size());
      f.assertSameTree("set", out);
      assertEquals(6, f.asked.size(), "asked once per file: " + f.asked);

      f.asked.clear();
      TreeResult again = f.transfers(client).downloadTree("set", out, TreeListener.NONE);
      assertTrue(again.ok(), again.toString());
      assertEquals(6, again.skipped(), again.toString());
      assertEquals(List.of(), f.asked);
      f.assertSameTree("set", out);
    }
  }

  /** A local file that differs from the server's (same size) is fetched again; others not. */
  @Test
  void aChangedLocalFileIsFetchedAgain() throws Exception {
    f.serverTree("ch", 5, 10_000);
    Path out = dir.resolve("out");
    try (LifelineClient client = f.client()) {
      f.transfers(client).downloadTree("ch", out, TreeListener.NONE);
      Path one = out.resolve("d1/f1.bin");
      byte[] b = Files.readAllBytes(one);
      b[5] ^= 1;
      Files.write(one, b);
      f.asked.clear();
      TreeResult r = f.transfers(client).downloadTree("ch", out, TreeListener.NONE);
      assertEquals(4, r.skipped(), r.toString());
      assertEquals(List.of("ch/d1/f1.bin"), f.asked);
      f.assertSameTree("ch", out);
    }
  }

  /**
   * 1,000 files of 64 KiB in one session, with and without fsync: measured (the lead's target is
   * a few seconds on this machine); bounded generously here so a loaded machine does not fail it.
   */
  @Test
  void aThousandSmallFilesComeInAFewSeconds() throws Exception {
    f.serverTree("many", 1000, 64 * 1024);
    try (LifelineClient client = f.client()) {
      long t0 = System.nanoTime();
      long[] listed = new long[1];
      TreeListener timing = new TreeListener() {
        @Override
        public void started(int files, long bytes, int skippedFiles, long skippedBytes) {
          listed[0] = System.nanoTime();
        }
      };
      TreeResult r = f.transfers(client).downloadTree("many", dir.resolve("out"), timing);
      double firstListing = (listed[0] - t0) / 1e9;
      long t1 = System.nanoTime();
      TreeResult nosync = f.transfers(client).withDownloadFsync(false)
          .downloadTree("many", dir.resolve("out2"), timing);
      double secondListing = (listed[0] - t1) / 1e9;
      String line = String.format("TREE-DOWNLOAD-SPEED 1000x64KiB fsync %.2f s (listed after"
          + " %.2f s, the server hashing every file once), no fsync %.2f s (listed after %.2f s)",
          r.seconds(), firstListing, nosync.seconds(), secondListing);
      log.info(line);
      System.out.println(line);
      assertTrue(r.ok() && nosync.ok());
      assertEquals(1000, r.files());
      assertTrue(r.seconds() < 45, r.toJson());
      f.assertSameTree("many", dir.resolve("out"));
      f.assertSameTree("many", dir.resolve("out2"));
    }
  }

  /**
   * A tree several times larger than the server's replay buffer, with a file larger than it:
   * the client's checkpoints (its only acknowledgements) keep the server sending.
   */
  @Test
  void aTreeLargerThanTheReplayBufferCompletes() throws Exception {
    f.close();
    f.serverReplayBytes = 2L << 20;
    f.startServer();
    f.serverTree("big", 24, 512 * 1024);
    f.serverFile("big/huge.bin", 5 << 20);
    try (LifelineClient client = f.client()) {
      TreeResult r = f.transfers(client).downloadTree("big", dir.resolve("out"),
          TreeListener.NONE);
      assertTrue(r.ok(), r.toString());
      assertEquals(25, r.files());
      f.assertSameTree("big", dir.resolve("out"));
    }
  }

  /**
   * Between the listing and the GET one file is removed on the server and another rewritten:
   * the removed one fails alone (the set goes on, and is not ok), the rewritten one arrives as
   * it is now, verified against the SHA-256 the server sends with it.
   */
  @Test
  void aFileRemovedOrChangedAfterTheListingFailsAloneOrArrivesAsItIsNow() throws Exception {
    f.serverFile("c/a.bin", 100_000);
    Path gone = f.serverFile("c/b.bin", 100_000);
    Path changed = f.serverFile("c/c.bin", 100_000);
    Path out = dir.resolve("out");
    TreeListener meddling = new TreeListener() {
      @Override
      public void started(int files, long bytes, int skippedFiles, long skippedBytes) {
        try {
          Files.delete(gone);
          Files.write(changed, new byte[300_000]);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    try (LifelineClient client = f.client()) {
      TreeResult r = f.transfers(client).downloadTree("c", out, meddling);
      assertFalse(r.ok(), r.toString());
      assertEquals(1, r.failed(), r.toString());
      FileOutcome b = r.outcomes().stream().filter(o -> o.name().equals("c/b.bin")).findFirst()
          .orElseThrow();
      assertEquals(FileOutcome.Status.FAILED, b.status());
      assertTrue(b.error().startsWith("NOT_FOUND"), b.toJson());
      assertEquals(List.of("a.bin", "c.bin"), TreeDownloadFixture.tree(out));
      assertEquals(TreeDownloadFixture.sha(changed), TreeDownloadFixture.sha(out.resolve("c.bin")));
      assertEquals(TreeDownloadFixture.sha(f.files().resolve("c/a.bin")),
          TreeDownloadFixture.sha(out.resolve("a.bin")));
    }
  }

  /** 400 names of ~210 bytes are more than one GET holds: one request in parts, answered whole. */
  @Test
  void aRequestOfManyLongNamesIsSplitIntoPartsAndAnsweredWhole() throws Exception {
    for (int i = 0; i < 400; i++) {
      f.serverFile(String.format("long/%s/%04d", "n".repeat(200), i), 100 + i);
    }
    try (LifelineClient client = f.client()) {
      TreeResult r = f.transfers(client).downloadTree("long", dir.resolve("out"),
          TreeListener.NONE);
      assertTrue(r.ok(), r.toJson());
      assertEquals(400, r.files());
      assertEquals(1, f.requests.get());
      assertEquals(400, f.asked.size());
      f.assertSameTree("long", dir.resolve("out"));
    }
  }

  @Test
  void aMissingPrefixIsAnEmptySet() throws Exception {
    try (LifelineClient client = f.client()) {
      TreeResult r = f.transfers(client).downloadTree("nothing", dir.resolve("out"),
          TreeListener.NONE);
      assertTrue(r.ok());
      assertEquals(0, r.files());
      assertFalse(Files.exists(dir.resolve("out/nothing")));
    }
  }
}
