package dev.lifeline.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tree downloads across a restart of the server and a SIGKILL of the client's JVM. */
class TreeDownloadRestartTest {
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
   * The server restarts after 40 files: the client asks again for what it does not hold (the
   * file in progress from its offset, then the rest), never for a file it finished.
   */
  @Test
  void continuesAfterTheServerRestartedMidSet() throws Exception {
    f.serverTree("r", 120, 256 * 1024 + 3);
    f.serverFile("r/d3/big.bin", 9 << 20);
    Set<String> finishedBefore = ConcurrentHashMap.newKeySet();
    CountDownLatch restarted = new CountDownLatch(1);
    AtomicInteger done = new AtomicInteger();
    TreeListener hold = new TreeListener() {
      @Override
      public void fileFinished(FileOutcome o) {
        if (restarted.getCount() > 0) {
          finishedBefore.add(o.name());
        }
        if (done.incrementAndGet() == 40) {
          TransferTest.awaitUninterruptibly(restarted);
        }
      }
    };
    try (LifelineClient client = f.client()) {
      CompletableFuture<TreeResult> run = CompletableFuture.supplyAsync(() -> {
        try {
          return f.transfers(client).downloadTree("r", dir.resolve("out"), hold);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      try {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> done.get() >= 40);
        f.asked.clear();
        f.restartServer();
      } finally {
        restarted.countDown();
      }
      TreeResult r = run.get(60, TimeUnit.SECONDS);
      assertTrue(r.ok(), r.toString());
      assertEquals(121, r.files());
      assertTrue(r.reconnects() >= 1, r.toString());
      assertTrue(f.asked.size() > 0 && f.asked.size() <= 121 - 40, f.asked.size() + " asked");
      for (String name : f.asked) {
        assertTrue(!finishedBefore.contains(name), name + " was asked for again");
      }
      f.assertSameTree("r", dir.resolve("out"));
    }
  }

  /**
   * The server restarts while the client's checkpoints are still being stored: the client's
   * resume names an older checkpoint than the one that then lands (docs/protocol.md, "A
   * checkpoint that crosses a rewind"). The client drops the new stream's messages up to the
   * landed one as covered; its GET names the first sequence it will deliver and the server pads
   * up to it, so the set completes, every file verified.
   */
  @Test
  void completesWhenACheckpointCrossesTheServersRestart() throws Exception {
    List<Runnable> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean holding = new java.util.concurrent.atomic
        .AtomicBoolean();
    dev.lifeline.store.CheckpointStore memory = f.clientStore;
    f.clientStore = new TransferTest.ForwardingStore(memory) {
      @Override
      public CompletableFuture<Void> commit(String id, dev.lifeline.store.Checkpoint cp) {
        if (!holding.get()) {
          return super.commit(id, cp);
        }
        CompletableFuture<Void> later = new CompletableFuture<>();
        held.add(() -> super.commit(id, cp).whenComplete((v, e) -> {
          if (e != null) {
            later.completeExceptionally(e);
          } else {
            later.complete(null);
          }
        }));
        return later;
      }
    };
    // A replay buffer the held checkpoints fill: the server waits, so much is left to send
    // after the restart.
    f.close();
    f.serverReplayBytes = 4L << 20;
    f.startServer();
    f.serverTree("x", 60, 256 * 1024);
    AtomicInteger done = new AtomicInteger();
    List<String> notices = new java.util.concurrent.CopyOnWriteArrayList<>();
    TreeListener listener = new TreeListener() {
      @Override
      public void fileFinished(FileOutcome o) {
        if (done.incrementAndGet() == 20) {
          holding.set(true); // the checkpoint that follows, and later ones, wait
        }
      }

      @Override
      public void notice(String message) {
        notices.add(message);
      }
    };
    try (LifelineClient client = f.client()) {
      CompletableFuture<TreeResult> run = CompletableFuture.supplyAsync(() -> {
        try {
          return f.transfers(client).downloadTree("x", dir.resolve("out"), listener);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> !held.isEmpty());
      // The restarted server rewinds to the checkpoint the client's resume names; only then do
      // the held commits land, so the client's checkpoint is ahead of what the server was told.
      f.wrapServer = h -> new TransferTest.Delegating(h) {
        @Override
        public void onOutboundRewind(dev.lifeline.Session session,
            dev.lifeline.store.Checkpoint checkpoint) {
          super.onOutboundRewind(session, checkpoint);
          holding.set(false);
          held.forEach(Runnable::run);
        }
      };
      f.requests.set(0);
      f.restartServer();
      TreeResult r = run.get(60, TimeUnit.SECONDS);
      assertTrue(r.ok(), r.toJson());
      assertEquals(60, r.files());
      // One request per rewind callback at most (the second when the landed checkpoint moved
      // the first sequence), none because an answer came short: without the PADs the client
      // drops the start of the answer as covered, and asks again after its GET_END.
      assertTrue(f.requests.get() <= 2, f.requests.get() + " requests after the restart");
      assertEquals(List.of(), notices);
      assertTrue(r.reconnects() >= 1, r.toJson());
      f.assertSameTree("x", dir.resolve("out"));
    }
  }

  /**
   * The client's JVM is killed (SIGKILL) mid-set and the same download run again with the same
   * store: it completes, and no file the killed process had finished is asked for again.
   */
  @Test
  void continuesAfterTheClientJvmWasKilledMidSet() throws Exception {
    f.serverTree("k", 400, 64 * 1024);
    f.serverFile("k/d2/big.bin", 12 << 20);
    f.serverFile("k/d5/big2.bin", 6 << 20);
    Path out = dir.resolve("out");
    Path store = dir.resolve("client-store");
    Path logback = dir.resolve("logback-child.xml");
    Files.writeString(logback, "<configuration><appender name=\"E\" class=\"ch.qos.logback.core"
        + ".ConsoleAppender\"><target>System.err</target><encoder><pattern>%msg%n</pattern>"
        + "</encoder></appender><root level=\"WARN\"><appender-ref ref=\"E\"/></root>"
        + "</configuration>");
    List<String> cmd = List.of(System.getProperty("java.home") + File.separator + "bin"
        + File.separator + "java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dlogback.configurationFile=" + logback, "-cp", System.getProperty("java.class.path"),
        TreeDownloadChild.class.getName(), Integer.toString(f.port), f.ca().toString(),
        store.toString(), "k", out.toString());
    Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    List<String> finished = new ArrayList<>();
    CountDownLatch enough = new CountDownLatch(1);
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (line.startsWith("FILE TRANSFERRED ")) {
            synchronized (finished) {
              finished.add(line.substring("FILE TRANSFERRED ".length()));
              if (finished.size() >= 60) {
                enough.countDown();
              }
            }
          }
        }
      } catch (java.io.IOException e) {
        // the child is gone
      }
    });
    reader.start();
    boolean reached = enough.await(45, TimeUnit.SECONDS);
    child.toHandle().destroyForcibly();
    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    reader.join(30_000);
    assertTrue(reached, "the child finished too few files: " + finished.size());
    assertTrue(finished.size() < 402, "the child finished everything before the kill");
    f.asked.clear();
    try (FileCheckpointStore s = FileCheckpointStore.open(store);
        LifelineClient client = dev.lifeline.LifelineClient.builder()
            .server("localhost", f.port)
            .tls(dev.lifeline.ClientTlsConfig.builder().trustedCa(f.ca()).build())
            .store(s)
            .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60))
            .build()) {
      TreeResult r = f.transfers(client).downloadTree("k", out, TreeListener.NONE);
      assertTrue(r.ok(), r.toJson());
      assertEquals(402, r.files());
      assertTrue(r.skipped() >= finished.size(), r.toJson() + " after " + finished.size()
          + " finished");
      for (String name : f.asked) {
        assertTrue(!finished.contains(name), name + " was finished and asked for again");
      }
    }
    f.assertSameTree("k", out);
  }
}
