package dev.lifeline.examples.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lifeline.demo.testing.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipper's contract with SIGKILLs, as a user would run it: child JVMs of the real programs,
 * real TLS on loopback, real files; either process killed at moments picked at random from the
 * progress on disk, then run again (the client four times, the server twice). At the end the server's file holds exactly records 1..N, once
 * each, in order, each byte as sent.
 */
@Timeout(90)
class ShipperKillTest {
  private static final int RECORDS = 20_000;
  private static final int BYTES = 200;
  static final Duration AT_MOST = Duration.ofSeconds(40);

  @TempDir Path dir;

  @Test
  void everyRecordIsStoredOnceInOrderThroughKillsOfTheClient() throws Exception {
    long seed = System.nanoTime();
    SplittableRandom random = new SplittableRandom(seed);
    Path out = dir.resolve("records.txt");
    Path state = dir.resolve("state");
    try (ShipperProcess server = ShipperProcess.server(dir.resolve("data"), 0, out,
        dir.resolve("server.log"))) {
      List<String> args = ShipperProcess.clientArgs(server.address(),
          dir.resolve("data/tls/ca.pem"), state, RECORDS, BYTES);
      // The first kill lands while the client opens its store and session, before any record.
      ShipperProcess first = ShipperProcess.client(dir, "client-0", args);
      Awaitility.await("the client created its state").atMost(AT_MOST)
          .pollInterval(Duration.ofMillis(5)).until(() -> Files.exists(state) || !first.isAlive());
      first.kill();
      for (int i = 1; i <= 3; i++) {
        ShipperProcess client = ShipperProcess.client(dir, "client-" + i, args);
        long atLeast = Math.min(size(out) + (1 + random.nextInt(RECORDS / 5)) * (long) BYTES,
            (long) RECORDS * BYTES - 1);
        awaitSize(out, atLeast, client, "kill " + i + " (seed " + seed + ")");
        client.kill();
      }
      ShipperProcess last = ShipperProcess.client(dir, "client-last", args);
      assertEquals(0, last.await(60), () -> "exit code; stderr:\n" + last.err()
          + "\nserver log:\n" + server.err());
      assertTrue(last.out().startsWith("stored records 1.." + RECORDS), last.out());
      assertHoldsRecords(out, RECORDS, BYTES, "seed " + seed);

      ShipperProcess again = ShipperProcess.client(dir, "client-again", args);
      assertEquals(0, again.await(60), again::err);
      assertTrue(again.out().contains("finished by an earlier run"), again.out());
      assertHoldsRecords(out, RECORDS, BYTES, "after a re-run of a finished job");
    }
  }

  @Test
  void everyRecordIsStoredOnceInOrderThroughKillsOfTheServer() throws Exception {
    long seed = System.nanoTime();
    SplittableRandom random = new SplittableRandom(seed);
    Path data = dir.resolve("data");
    Path out = dir.resolve("records.txt");
    Path log = dir.resolve("server.log");
    Path state = dir.resolve("state");
    ShipperProcess server = ShipperProcess.server(data, 0, out, log);
    int port = server.port();
    List<String> args = ShipperProcess.clientArgs(server.address(), data.resolve("tls/ca.pem"),
        state, RECORDS, BYTES);
    ShipperProcess client = ShipperProcess.client(dir, "client-0", args);
    try {
      long total = (long) RECORDS * BYTES;
      awaitSize(out, total / 5 + random.nextLong(total / 5), client, "server kill 1 (seed "
          + seed + ")");
      server.kill();
      server = ShipperProcess.server(data, port, out, log);
      awaitSize(out, total / 2 + random.nextLong(total / 5), client, "server kill 2 (seed "
          + seed + ")");
      server.kill();
      // Both down at once: the new client waits for the server, reconnecting.
      client.kill();
      client = ShipperProcess.client(dir, "client-1", args);
      server = ShipperProcess.server(data, port, out, log);
      ShipperProcess finalClient = client;
      assertEquals(0, client.await(60), () -> "exit code; stderr:\n" + finalClient.err()
          + "\nserver log:\n" + ChildJvm.read(log));
      assertHoldsRecords(out, RECORDS, BYTES, "seed " + seed);
    } finally {
      client.close();
      server.close();
    }
  }

  static long size(Path file) throws IOException {
    return Files.exists(file) ? Files.size(file) : 0;
  }

  /** Waits until {@code file} holds {@code atLeast} bytes; fails if the client exits first. */
  static void awaitSize(Path file, long atLeast, ShipperProcess client, String what) {
    Awaitility.await(what + ": " + file + " reaches " + atLeast + " bytes").atMost(AT_MOST)
        .pollInterval(Duration.ofMillis(5))
        .until(() -> {
          if (!client.isAlive()) {
            fail(what + ": the client exited (" + client.await(1) + ") before " + file
                + " reached " + atLeast + " bytes; stderr:\n" + client.err());
          }
          return size(file) >= atLeast;
        });
  }

  /** {@code file} is exactly records 1..n of {@code bytes} bytes; else names the first wrong line. */
  static void assertHoldsRecords(Path file, int n, int bytes, String context) throws IOException {
    byte[] content = Files.readAllBytes(file);
    for (int i = 1; i <= n; i++) {
      int from = (i - 1) * bytes;
      byte[] expected = Records.line(i, bytes);
      if (content.length < from + bytes
          || !Arrays.equals(content, from, from + bytes, expected, 0, bytes)) {
        fail(context + ": line " + i + " of " + file + " is not record " + i + " ("
            + content.length + " bytes, " + content.length / bytes + " records' worth); found: "
            + lineAt(content, from));
      }
    }
    assertFalse(content.length > n * bytes, () -> context + ": " + (content.length - n * bytes)
        + " bytes after record " + n + ": " + lineAt(content, n * bytes));
  }

  private static String lineAt(byte[] content, int from) {
    if (from >= content.length) {
      return "(end of file)";
    }
    int end = from;
    while (end < content.length && content[end] != '\n' && end - from < 40) {
      end++;
    }
    return "'" + new String(content, from, end - from, StandardCharsets.US_ASCII) + "...'";
  }
}
