package dev.lifeline.transfer;

import static dev.lifeline.transfer.TreeUploadFixture.sha;
import static dev.lifeline.transfer.TreeUploadFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tree uploads on real TLS over loopback with real trees: what arrives, and what does not. */
class TreeUploadTest {
  @TempDir Path dir;
  TreeUploadFixture f;
  Path src;

  @BeforeEach
  void start() throws Exception {
    f = new TreeUploadFixture(dir);
    src = dir.resolve("src");
    Files.createDirectories(src);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  static final String LONG = "l".repeat(250) + ".bin"; // 254 bytes
  static final String LONGEST = "é".repeat(127) + "x"; // 255 UTF-8 bytes

  /** Nested directories, empty files, an empty directory, names at the limit, unicode names. */
  List<Path> realTree() throws Exception {
    return List.of(
        write(src, "a.txt", 1000),
        write(src, "empty.txt", 0),
        write(src, "deep/er/still/x.bin", 300_000),
        write(src, "deep/big.bin", 3 << 20),
        write(src, "deep/" + LONG, 10),
        write(src, "unicode/日本語 ünïcødé.txt", 4097),
        write(src, "unicode/" + LONGEST, 17),
        Files.createDirectories(src.resolve("hollow/inside")));
  }

  @Test
  void uploadsARealTreeKeepingTimesAndEmptyDirectoriesAndNeverFollowsALink() throws Exception {
    List<Path> tree = realTree();
    Path outside = write(dir, "secret/outside.txt", 99);
    Files.createSymbolicLink(src.resolve("deep/link-out"), outside.getParent());
    Files.createSymbolicLink(src.resolve("file-link"), outside);
    TreeUploadFixture.Recording rec = new TreeUploadFixture.Recording();
    TreeResult r;
    try (LifelineClient client = f.client(8 << 20)) {
      r = new FileTransferClient(client, f.server()).uploadTree(src, "set", rec);
    }
    assertTrue(r.ok(), r.toJson() + " " + r.outcomes());
    assertEquals(7, r.files(), r.toJson());
    assertEquals(0, r.skipped());
    for (Path p : tree) {
      String rel = src.relativize(p).toString();
      Path stored = f.stored("set/" + rel);
      if (Files.isDirectory(p)) {
        assertTrue(Files.isDirectory(stored), rel);
        continue;
      }
      assertEquals(sha(p), sha(stored), rel);
      assertEquals(Files.getLastModifiedTime(p), Files.getLastModifiedTime(stored), rel);
    }
    assertFalse(Files.exists(f.stored("set/deep/link-out"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(f.stored("set/file-link"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(2, rec.notices.stream().filter(n -> n.contains("symbolic link")).count(),
        rec.notices.toString());
    try (Stream<Path> all = Files.walk(f.stored(""))) {
      assertFalse(all.anyMatch(p -> p.getFileName().toString().equals("outside.txt")));
    }
    assertEquals(7, rec.finished.size());
    assertTrue(rec.finished.stream().allMatch(o -> o.status() == FileOutcome.Status.TRANSFERRED));
  }

  @Test
  void aReRunSkipsEverythingAndSendsNothing() throws Exception {
    realTree();
    try (LifelineClient client = f.client(8 << 20)) {
      FileTransferClient t = new FileTransferClient(client, f.server());
      assertTrue(t.uploadTree(src, "set", TreeListener.NONE).ok());
      TreeResult again = t.uploadTree(src, "set", TreeListener.NONE);
      assertTrue(again.ok(), again.toJson());
      assertEquals(7, again.skipped(), again.toJson());
      assertEquals(0, again.resentBytes(), again.toJson());
      assertTrue(again.outcomes().stream().allMatch(o -> o.status() == FileOutcome.Status.SKIPPED));
    }
  }

  @Test
  void aFileWithOtherContentOnTheServerFailsAndTheRestArrives() throws Exception {
    write(src, "a.txt", 10);
    write(src, "b.txt", 20);
    Files.createDirectories(f.stored("set"));
    Files.writeString(f.stored("set/a.txt"), "other content");
    Files.writeString(src.resolve(".hidden"), "refused name");
    try (LifelineClient client = f.client(8 << 20)) {
      TreeResult r = new FileTransferClient(client, f.server()).uploadTree(src, "set",
          TreeListener.NONE);
      assertFalse(r.ok());
      assertEquals(2, r.failed(), r.outcomes().toString());
      Set<String> failed = r.outcomes().stream().filter(o -> !o.ok()).map(FileOutcome::name)
          .collect(Collectors.toSet());
      assertEquals(Set.of("set/a.txt", "set/.hidden"), failed);
      assertEquals("other content", Files.readString(f.stored("set/a.txt")));
      assertEquals(sha(src.resolve("b.txt")), sha(f.stored("set/b.txt")));
    }
  }

  @Test
  void aFileChangedWhileSentIsSentAgainAndTheServerHoldsItsFinalContent() throws Exception {
    Path changing = write(src, "b/changing.bin", 2 << 20);
    write(src, "a.bin", 100);
    write(src, "c.bin", 100);
    AtomicBoolean changed = new AtomicBoolean();
    TreeUploadFixture.Recording rec = new TreeUploadFixture.Recording() {
      @Override
      public void progress(int filesDone, long bytesDone) {
        // on the sending thread, between two chunks of changing.bin
        if (bytesDone > (1 << 20) && changed.compareAndSet(false, true)) {
          try {
            Files.write(changing, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
            Files.setLastModifiedTime(changing, FileTime.fromMillis(1_700_000_000_000L));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      }
    };
    try (LifelineClient client = f.client(8 << 20)) {
      TreeResult r = new FileTransferClient(client, f.server()).uploadTree(src, "set", rec);
      assertTrue(r.ok(), r.toJson() + r.outcomes());
      assertTrue(changed.get());
      assertTrue(rec.notices.stream().anyMatch(n -> n.contains("changed while it was sent")),
          rec.notices.toString());
      assertEquals(sha(changing), sha(f.stored("set/b/changing.bin")));
      assertEquals((2 << 20) + 3, Files.size(f.stored("set/b/changing.bin")));
      assertTrue(r.resentBytes() >= (2 << 20), r.toJson());
    }
    try (Stream<Path> partial = Files.walk(f.stored(".partial"))) {
      assertEquals(List.of(f.stored(".partial")), partial.toList(), "partial files left");
    }
  }

  @Test
  void aTreeLargerThanTheReplayBufferArrives() throws Exception {
    for (int i = 0; i < 16; i++) {
      write(src, "d" + (i % 4) + "/f" + i + ".bin", 300_000);
    }
    write(src, "big.bin", 3 << 20);
    try (LifelineClient client = f.client(1 << 20)) {
      TreeResult r = new FileTransferClient(client, f.server()).uploadTree(src, "", TreeListener.NONE);
      assertTrue(r.ok(), r.toJson() + r.outcomes());
      assertEquals(17, r.files());
      assertEquals(sha(src.resolve("big.bin")), sha(f.stored("big.bin")));
      assertEquals(sha(src.resolve("d3/f15.bin")), sha(f.stored("d3/f15.bin")));
    }
  }

  @Test
  void aFileThatKeepsChangingFailsAfterThreeSendsAndTheRestArrives() throws Exception {
    Path always = write(src, "always.bin", 100_000);
    write(src, "ok.bin", 10);
    java.util.concurrent.atomic.AtomicLong time = new java.util.concurrent.atomic.AtomicLong(
        1_700_000_000_000L);
    TreeListener touching = new TreeListener() {
      @Override
      public void progress(int filesDone, long bytesDone) {
        try {
          Files.setLastModifiedTime(always, FileTime.fromMillis(time.addAndGet(1000)));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    try (LifelineClient client = f.client(8 << 20)) {
      TreeResult r = new FileTransferClient(client, f.server()).uploadTree(src, "set", touching);
      assertFalse(r.ok());
      assertEquals(1, r.failed(), r.outcomes().toString());
      FileOutcome failed = r.outcomes().stream().filter(o -> !o.ok()).findFirst().orElseThrow();
      assertEquals("set/always.bin", failed.name());
      assertTrue(failed.error().contains("kept changing"), failed.error());
      assertFalse(Files.exists(f.stored("set/always.bin")));
      assertEquals(sha(src.resolve("ok.bin")), sha(f.stored("set/ok.bin")));
      assertTrue(r.resentBytes() >= 2 * 100_000, r.toJson());
    }
  }
}
