package dev.lifeline.transfer;

import static dev.lifeline.transfer.TreeUploadFixture.sha;
import static dev.lifeline.transfer.TreeUploadFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.store.FileCheckpointStore;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tree upload survives the restart of the server and the SIGKILL of the client mid-set. */
class TreeUploadRestartTest {
  static final int SMALL = 64 * 1024;
  static final int BIG = 6 << 20;
  static final int EACH_SIDE = 120;

  @TempDir Path dir;
  TreeUploadFixture f;
  Path src;
  List<Path> tree = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    f = new TreeUploadFixture(dir);
    src = dir.resolve("src");
    // small files, a big one in the middle of the sorted order, small files again
    for (int i = 0; i < EACH_SIDE; i++) {
      tree.add(write(src, String.format("a/f%03d.bin", i), SMALL));
    }
    tree.add(write(src, "m-big.bin", BIG));
    for (int i = 0; i < EACH_SIDE; i++) {
      tree.add(write(src, String.format("z/%d/f%03d.bin", i % 7, i), SMALL));
    }
  }

  @AfterEach
  void stop() {
    f.close();
  }

  /** Bytes sent once the set is in the middle of the big file. */
  static long midBig() {
    return (long) EACH_SIDE * SMALL + BIG / 2;
  }

  void assertAllStored() throws Exception {
    for (Path p : tree) {
      assertEquals(sha(p), sha(f.stored("set/" + src.relativize(p))), p.toString());
    }
  }

  /** Until the server's store holds a checkpoint of the set past the big file's first byte. */
  void awaitDurableCheckpointInTheBigFile() {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (TransferProgress t : f.files.activeTransfers()) {
        var record = f.serverStore.load(t.sessionId()).get();
        byte[] state = record.isPresent() ? record.get().checkpoint().state() : new byte[0];
        // TreeUploadMessages.State: u8 version, u32 files, u32 round, u64 size, u64 mtime,
        // u64 offset at byte 25, ..., the name last
        if (new String(state, StandardCharsets.UTF_8).endsWith("set/m-big.bin")
            && java.nio.ByteBuffer.wrap(state).getLong(25) > 0) {
          return true;
        }
      }
      return false;
    });
  }

  @Test
  void aSetSurvivesConnectionsCutEveryFewMegabytes() throws Exception {
    try (LifelineClient client = f.client(8 << 20, "cut=1M..4M,mode=mix,count=6")) {
      TreeResult r = new FileTransferClient(client, f.server()).uploadTree(src, "set",
          TreeListener.NONE);
      assertTrue(r.ok(), r.toJson() + r.outcomes());
      assertEquals(tree.size(), r.files());
      assertTrue(r.reconnects() >= 3, r.toJson());
      assertAllStored();
    }
  }

  @Test
  void aServerRestartedMidSetContinuesFromItsCheckpoint() throws Exception {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch restarted = new CountDownLatch(1);
    TreeListener hold = new TreeListener() {
      @Override
      public void progress(int files, long bytes) {
        if (bytes > midBig() && holding.getCount() > 0) {
          holding.countDown();
          TransferTest.awaitUninterruptibly(restarted);
        }
      }
    };
    try (LifelineClient client = f.client(32 << 20)) {
      CompletableFuture<TreeResult> run = CompletableFuture.supplyAsync(() -> {
        try {
          return new FileTransferClient(client, f.server()).uploadTree(src, "set", hold);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      try {
        assertTrue(holding.await(60, TimeUnit.SECONDS));
        awaitDurableCheckpointInTheBigFile();
        f.server.close();
        f.startServer();
      } finally {
        restarted.countDown();
      }
      TreeResult r = run.get(60, TimeUnit.SECONDS);
      assertTrue(r.ok(), r.toJson() + r.outcomes());
      assertEquals(tree.size(), r.files());
      assertTrue(r.reconnects() >= 1, r.toJson());
      assertAllStored();
    }
  }

  @Test
  void aClientKilledMidSetContinuesTheSetWhenRunAgainWithoutSendingFinishedFiles()
      throws Exception {
    Path state = dir.resolve("client-state");
    List<String> cmd = List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
        "-cp", System.getProperty("java.class.path"), TreeUploadChild.class.getName(),
        Integer.toString(f.port), dir.resolve("data/tls/ca.pem").toString(), state.toString(),
        src.toString(), "set", Long.toString(midBig()));
    Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    List<String> lines = new CopyOnWriteArrayList<>();
    CountDownLatch holding = new CountDownLatch(1);
    CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
          if (line.equals("holding")) {
            holding.countDown();
          }
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try {
      assertTrue(holding.await(60, TimeUnit.SECONDS), "child output: " + lines);
      awaitDurableCheckpointInTheBigFile();
    } finally {
      child.toHandle().destroyForcibly();
    }
    reader.get(30, TimeUnit.SECONDS); // the child's output, read to its end
    child.waitFor(30, TimeUnit.SECONDS);
    Set<String> finishedBefore = lines.stream().filter(l -> l.startsWith("finished TRANSFERRED "))
        .map(l -> l.substring("finished TRANSFERRED ".length())).collect(Collectors.toSet());
    // how many depends on how far the server was behind (a busy machine); any will do
    assertFalse(finishedBefore.isEmpty(), lines.toString());

    AtomicLong lastProgress = new AtomicLong();
    TreeListener watch = new TreeListener() {
      @Override
      public void progress(int files, long bytes) {
        lastProgress.set(bytes);
      }
    };
    f.clientStore = FileCheckpointStore.open(state);
    TreeResult r;
    try (LifelineClient client = f.client(8 << 20)) {
      r = new FileTransferClient(client, f.server()).uploadTree(src, "set", watch);
    } finally {
      ((FileCheckpointStore) f.clientStore).close();
    }
    assertTrue(r.ok(), r.toJson() + r.outcomes());
    assertAllStored();
    for (FileOutcome o : r.outcomes()) {
      if (finishedBefore.contains(o.name())) {
        assertEquals(FileOutcome.Status.SKIPPED, o.status(), o.toJson());
      }
    }
    assertTrue(r.skipped() >= finishedBefore.size(), r.toJson());
    // Skipped bytes plus the bytes sent: less than the whole tree, since the big file continued
    // from the server's checkpoint instead of its first byte.
    assertTrue(lastProgress.get() < r.bytes(), lastProgress.get() + " " + r.toJson());
  }
}
