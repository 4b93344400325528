package dev.lifeline.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills a child JVM with SIGKILL while it compacts an empty or one-record store again and again
 * (flat snapshots: new segment, temporary file, rename, retention), and checks after every kill
 * that the store opens (never as corrupt, nothing set aside as damaged) with every acknowledged
 * change: a deleted session stays deleted, a stored one is there with at least its acknowledged
 * checkpoint. {@code -Dlifeline.compaction.kills=N} (the {@code soak} profile) runs longer.
 */
class CompactionCrashTest {
  private static final Logger log = LoggerFactory.getLogger(CompactionCrashTest.class);

  @TempDir Path dir;
  /** The children's output (JUnit 5.8+ gives each @TempDir field its own directory). */
  @TempDir Path outputs;

  /** What the children acknowledged, per session. */
  private static final class Acked {
    volatile long position = -1; // -1: PUT not acknowledged
    volatile boolean deleting;
    volatile boolean deleted;
  }

  private final Map<String, Acked> sessions = new ConcurrentHashMap<>();

  @Test
  void compactingAnEmptyStoreSurvivesSigkillAtAnyPoint() throws Exception {
    int kills = Integer.getInteger("lifeline.compaction.kills", 30);
    long seed = Long.getLong("lifeline.crash.seed", System.nanoTime());
    log.info("compaction crash test: {} kills, seed {}", kills, seed);
    Random random = new Random(seed);
    int midCompaction = 0;
    int compactions = 0;
    for (int k = 0; k < kills; k++) {
      AtomicInteger compacted = new AtomicInteger();
      String last = runAndKill(random, "k" + k, compacted);
      compactions += compacted.get();
      midCompaction += "COMPACTING".equals(last) ? 1 : 0;
      verify(k);
    }
    List<String> files;
    try (var list = Files.list(dir)) {
      files = list.map(p -> p.getFileName().toString()).sorted().toList();
    }
    log.info("compaction crash test: {} kills, {} during a compaction, {} compactions; files: {}",
        kills, midCompaction, compactions, files);
    assertTrue(files.stream().anyMatch(f -> f.endsWith(".flat")), files.toString());
    assertTrue(files.stream().noneMatch(f -> f.endsWith(".db") || f.endsWith(".damaged")),
        files.toString());
    // compaction is most of what the child does; a sixth is the floor that proves the point
    assertTrue(midCompaction >= kills / 6, "too few kills during a compaction: " + midCompaction);
  }

  /**
   * Runs a child until a random moment after READY, kills it, then reads everything it printed;
   * returns its last complete line. Its output goes to a file rather than a pipe: the JDK closes
   * a dead child's pipe under a blocked reader, which could lose a DELETING line and make a
   * correctly deleted session look lost.
   */
  private String runAndKill(Random random, String tag, AtomicInteger compacted)
      throws Exception {
    Path output = outputs.resolve(tag + ".out");
    Process child = new ProcessBuilder(ChildJvm.command(ChildJvm.sharedArchive(),
        CompactionCrashChild.class, dir.toString(), tag)).redirectOutput(output.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(output).contains("READY\n")) {
        assertTrue(child.isAlive() && System.nanoTime() < deadline, "child not ready");
        Thread.sleep(10);
      }
      Thread.sleep(50 + random.nextInt(400));
    } finally {
      child.destroyForcibly(); // SIGKILL on Linux
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    }
    String last = null;
    for (String line : Files.readString(output).split("\n", -1)) {
      if (read(line, compacted)) {
        last = line;
      }
    }
    Files.delete(output);
    return last;
  }

  /** Applies one line of the child's output; false if it is not a complete line. */
  private boolean read(String line, AtomicInteger compacted) {
    String[] w = line.split(" ");
    if (line.equals("READY") || line.equals("COMPACTING")) {
      return true;
    } else if (line.equals("COMPACTED")) {
      compacted.incrementAndGet();
    } else if (w.length == 3 && w[0].equals("PUT") && w[2].equals("ok")) {
      session(w[1]).position = 0;
    } else if (w.length == 4 && w[0].equals("ACK") && w[3].equals("ok")) {
      session(w[1]).position = Long.parseLong(w[2]);
    } else if (w.length == 2 && w[0].equals("DELETING")) {
      session(w[1]).deleting = true;
    } else if (w.length == 3 && w[0].equals("DEL") && w[2].equals("ok")) {
      session(w[1]).deleted = true;
    } else {
      return false; // the last line, cut short by the kill (or empty)
    }
    return true;
  }

  private Acked session(String id) {
    return sessions.computeIfAbsent(id, x -> new Acked());
  }

  private void verify(int kill) throws Exception {
    List<String> failures = new ArrayList<>();
    try (FileCheckpointStore store = FileCheckpointStore.open(dir)) {
      for (Map.Entry<String, Acked> e : sessions.entrySet()) {
        String id = e.getKey();
        Acked a = e.getValue();
        SessionRecord r = store.load(id).join().orElse(null);
        if (a.deleted && r != null) {
          failures.add("kill " + kill + ": deleted session " + id + " is back");
        } else if (r == null && a.position >= 0 && !a.deleting) {
          failures.add("kill " + kill + ": acknowledged session " + id + " is missing");
        } else if (r != null && r.checkpoint().position() < a.position) {
          failures.add("kill " + kill + ": " + id + " at " + r.checkpoint().position()
              + " (acknowledged: " + a.position + ")");
        } else if (r != null && r.checkpoint().position() > 0) {
          long p = r.checkpoint().position();
          assertArrayEquals(CrashChild.state(id, p), r.checkpoint().state(), id + " at " + p);
        }
      }
    }
    assertEquals(List.of(), failures);
    try (var list = Files.list(dir)) {
      assertEquals(List.of(), list.filter(p -> p.toString().endsWith(".damaged")).toList());
    }
  }
}
