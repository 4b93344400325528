package dev.lifeline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills an appending child JVM with SIGKILL, again and again on one store, and checks after each
 * kill that every acknowledged message is there, in order, intact, with no gap and nothing
 * partial after it.
 */
class OutboxCrashTest {
  private static final Logger log = LoggerFactory.getLogger(OutboxCrashTest.class);

  @TempDir Path dir;

  private final AtomicLong maxAcked = new AtomicLong();
  private final AtomicLong maxTrim = new AtomicLong();
  private final AtomicLong acks = new AtomicLong();
  private final List<String> failures = new CopyOnWriteArrayList<>();

  @Test
  void everyAcknowledgedMessageSurvivesSigkill() throws Exception {
    int kills = Integer.getInteger("lifeline.outboxcrash.kills", 8);
    long seed = Long.getLong("lifeline.crash.seed", System.nanoTime());
    log.info("outbox crash test: {} kills, seed {} (-Dlifeline.crash.seed to repeat)", kills,
        seed);
    Random random = new Random(seed);
    long verified = 0;
    for (int k = 0; k < kills; k++) {
      runAndKill(random.nextInt(60_000) + 1);
      verified += verify(k);
    }
    log.info("outbox crash test: {} acknowledgements, {} messages verified, last acked {}",
        acks.get(), verified, maxAcked.get());
    assertEquals(List.of(), failures);
    assertTrue(maxAcked.get() > kills, "too few acknowledgements: " + maxAcked.get());
  }

  /** Starts a child, kills it once it acknowledged {@code killAfter} more messages. */
  private void runAndKill(int killAfter) throws Exception {
    Process child = ChildJvm.start(OutboxCrashChild.class, dir.toString());
    CountDownLatch enough = new CountDownLatch(1);
    long target = acks.get() + killAfter;
    Thread reader = new Thread(() -> readAcks(child, target, enough), "outbox-crash-acks");
    reader.start();
    boolean reached = enough.await(40, TimeUnit.SECONDS);
    // SIGKILL on Linux. Through the process handle: Process.destroyForcibly also closes the
    // child's stdout at once, and the lines it flushed just before dying were lost to the reader;
    // a TRIM line lost that way made a correct outbox look trimmed too far (1 run in ~10 beside
    // another build). The handle kills without touching the streams, so the reader reads to EOF.
    child.toHandle().destroyForcibly();
    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    reader.join(30_000);
    assertTrue(reached, "the child acknowledged too little before the timeout");
  }

  private void readAcks(Process child, long target, CountDownLatch enough) {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        String[] parts = line.split(" ");
        if (parts[0].equals("ACK") && parts.length == 2) {
          maxAcked.accumulateAndGet(Long.parseLong(parts[1]), Math::max);
          if (acks.incrementAndGet() >= target) {
            enough.countDown();
          }
        } else if (parts[0].equals("TRIM") && parts.length == 2) {
          maxTrim.accumulateAndGet(Long.parseLong(parts[1]), Math::max);
        } else if (parts[0].equals("FAIL")) {
          failures.add(line);
        } // else READY, or a line the kill cut short: never a complete acknowledgement
      }
    } catch (IOException e) {
      log.debug("acknowledgement stream ended: {}", e.toString());
    }
  }

  /** Reopens the store in this JVM and checks the outbox; returns the messages read. */
  private long verify(int kill) throws Exception {
    try (FileCheckpointStore store = FileCheckpointStore.open(dir)) {
      Outbox o = store.openOutbox(OutboxCrashChild.KEY);
      long first = o.firstSeq();
      long last = o.lastSeq();
      if (last < maxAcked.get()) {
        failures.add("kill " + kill + ": last seq " + last + " (acknowledged: " + maxAcked + ")");
      }
      if (first - 1 > maxTrim.get()) {
        failures.add("kill " + kill + ": first seq " + first + " but trimmed only to " + maxTrim);
      }
      List<Long> seqs = new ArrayList<>();
      o.read((seq, m) -> {
        if (!m.equals(OutboxContract.message(seq, 200))) {
          failures.add("kill " + kill + ": message " + seq + " damaged");
        }
        if (seqs.isEmpty() ? seq != first : seq != seqs.get(seqs.size() - 1) + 1) {
          failures.add("kill " + kill + ": seq " + seq + " after " + seqs);
        }
        seqs.add(seq);
      });
      if (seqs.size() != last - first + 1) {
        failures.add("kill " + kill + ": read " + seqs.size() + " messages (expected: "
            + (last - first + 1) + ")");
      }
      assertEquals(200L * (last - first + 1), o.bytes());
      return seqs.size();
    }
  }
}
