package dev.lifeline;

import static dev.lifeline.ReceiverEnds.WAIT;
import static dev.lifeline.ReceiverEnds.sendRecords;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiving server, a {@link DurableReceiver} writing a file, is killed with SIGKILL twice
 * while a client streams numbered records to it, and restarted on the same store and file each
 * time: the file ends with every record exactly once, in order. A kill usually lands with
 * records in the file that no checkpoint covers yet (the cadence is 64 messages or 5 ms, and the
 * whole stream is in flight): the restored session's sink truncates them away, the client sends
 * them again.
 */
class DurableReceiverCrashTest {
  private static final int RECORDS = 5_000;

  @TempDir Path dir;
  private ReceiverEnds ends;
  private Process child;
  private int children;

  @BeforeEach
  void ends() {
    ends = new ReceiverEnds(dir);
  }

  @AfterEach
  void close() throws Exception {
    if (child != null) {
      child.destroyForcibly().waitFor();
    }
    ends.close();
  }

  @Test
  void everyRecordLandsOnceInOrderThroughKillsOfTheReceiver() throws Exception {
    int port = startChild(0);
    Session session = ends.client(port).open("shipper", new SessionHandler.SendOnly() {})
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    List<CompletableFuture<Void>> acked = new ArrayList<>();
    for (long killAt : List.of(1_000L, 3_000L)) {
      acked.addAll(sendRecords(session, acked.size() + 1, killAt + 1_000, 200));
      // SIGKILL the moment record killAt is acknowledged: the thousand after it are in flight,
      // some written to the file, not all covered by a checkpoint.
      Process victim = child;
      acked.get((int) killAt - 1).thenRun(victim::destroyForcibly);
      assertTrue(victim.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "killed at " + killAt);
      assertEquals(port, startChild(port));
    }
    acked.addAll(sendRecords(session, acked.size() + 1, RECORDS, 200));
    CompletableFuture.allOf(acked.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    assertTrue(session.stats().reconnects() >= 2, "reconnected after each kill");

    child.destroyForcibly().waitFor();
    List<Long> records = new FileSink.Log(dir.resolve("out")).records();
    assertEquals("", firstDifference(records), "the file holds each record once, in order");
  }

  /** Where {@code records} first differs from 1..RECORDS; empty if nowhere. */
  private static String firstDifference(List<Long> records) {
    for (int i = 0; i < Math.min(records.size(), RECORDS); i++) {
      if (records.get(i) != i + 1) {
        return "at index " + i + ": record " + records.get(i) + " (expected " + (i + 1) + "), "
            + records.size() + " records in the file";
      }
    }
    return records.size() == RECORDS ? "" : records.size() + " records (expected " + RECORDS + ")";
  }

  /** Starts the receiving server process; returns its port once it listens. */
  private int startChild(int port) throws Exception {
    // Output to files: a pipe nobody drains would stop the child once full.
    Path out = dir.resolve("child-" + ++children + ".out");
    child = new ProcessBuilder(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
        "-cp", System.getProperty("java.class.path"), DurableReceiverChild.class.getName(),
        dir.toString(), Integer.toString(port))
        .redirectOutput(out.toFile())
        .redirectError(dir.resolve("child-" + children + ".err").toFile())
        .start();
    Process started = child;
    await().atMost(WAIT).until(() -> !started.isAlive() || listening(out) != null);
    Integer listening = listening(out);
    assertNotNull(listening, "the receiving server exited before it listened: "
        + Files.readString(dir.resolve("child-" + children + ".err")));
    return listening;
  }

  private static Integer listening(Path out) throws IOException {
    for (String line : Files.readAllLines(out)) {
      if (line.startsWith("listening on ")) {
        return Integer.valueOf(line.substring("listening on ".length()).trim());
      }
    }
    return null;
  }
}
