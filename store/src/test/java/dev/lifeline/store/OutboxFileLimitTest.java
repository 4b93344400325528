package dev.lifeline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real failed write, from the kernel rather than a mock: a child JVM under {@code ulimit -f}
 * (no root needed, unlike a small file system) appends until the segment may grow no more. The
 * write that crosses the limit is partial, then fails with "File too large": the futures fail
 * with a message naming the file, later appends are refused, and the reopened outbox holds every
 * acknowledged message and nothing half-written.
 */
class OutboxFileLimitTest {
  private static final int LIMIT_KIB = 1024;

  @TempDir Path dir;

  @Test
  void aWriteTheKernelRefusesFailsCleanlyAndLosesNothingAcknowledged() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash for ulimit");
    List<String> cmd = new ArrayList<>(List.of("/bin/bash", "-c",
        "ulimit -f " + LIMIT_KIB + " && exec \"$@\"", "child"));
    cmd.addAll(ChildJvm.command(List.of(), OutboxFileLimitChild.class, dir.toString()));
    Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    long maxAcked = 0;
    String fail = null;
    String refused = null;
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("ACK ")) {
          maxAcked = Math.max(maxAcked, Long.parseLong(line.substring(4)));
        } else if (line.startsWith("FAIL ")) {
          fail = line;
        } else if (line.startsWith("REFUSED ")) {
          refused = line;
        } else {
          throw new AssertionError("unexpected line from the child: " + line);
        }
      }
    }
    assertTrue(child.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, child.exitValue());
    assertTrue(fail != null && fail.contains("File too large") && fail.contains("segment-"),
        String.valueOf(fail));
    assertTrue(refused != null && refused.contains("File too large"), String.valueOf(refused));
    assertTrue(maxAcked > 1000, "acknowledged: " + maxAcked);
    assertTrue(segmentBytes() <= LIMIT_KIB * 1024L, "segment larger than the limit");

    try (FileCheckpointStore store = FileCheckpointStore.open(dir)) {
      Outbox o = store.openOutbox(OutboxFileLimitChild.KEY);
      List<Long> seqs = new ArrayList<>();
      o.read((seq, m) -> {
        assertEquals(OutboxContract.message(seq, 200), m, "message " + seq);
        seqs.add(seq);
      });
      // the failed batch was cut back: exactly the acknowledged messages, nothing after them
      assertEquals(LongStream.rangeClosed(1, maxAcked).boxed().toList(), seqs);
      assertEquals(maxAcked, o.lastSeq());
      o.append(maxAcked + 1, OutboxContract.message(maxAcked + 1, 200)).join(); // no limit here
    }
  }

  private long segmentBytes() throws Exception {
    try (Stream<Path> files = Files.walk(dir.resolve("outbox"))) {
      return files.filter(p -> p.getFileName().toString().startsWith("segment-"))
          .mapToLong(p -> p.toFile().length()).max().orElse(0);
    }
  }
}
