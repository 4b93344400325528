package dev.lifeline.examples.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job whose session expired on the server while its client was dead: the client refuses to
 * start over by itself (exit 4, nothing sent), and {@code --new-session}, the user's explicit
 * choice, finishes the job in a new session with every record stored once: the client's outbox
 * sends what it never saw acknowledged, and the server drops what its producer record says it
 * already stored.
 */
@Timeout(90)
class ShipperNewSessionTest {
  private static final int RECORDS = 20_000;
  private static final int BYTES = 200;

  @TempDir Path dir;

  @Test
  void anExpiredJobGoesOnInANewSessionOnlyWhenAskedAndStoresEveryRecordOnce() throws Exception {
    Path data = dir.resolve("data");
    Path out = dir.resolve("records.txt");
    Path log = dir.resolve("server.log");
    try (ShipperProcess server = ShipperProcess.server(data, 0, out, log,
        "--session-ttl", "2s")) {
      List<String> args = ShipperProcess.clientArgs(server.address(),
          data.resolve("tls/ca.pem"), dir.resolve("state"), RECORDS, BYTES);
      try (ShipperProcess client = ShipperProcess.client(dir, "client-0", args)) {
        ShipperKillTest.awaitSize(out, (long) RECORDS * BYTES / 3, client, "a third");
        client.kill();
      }
      Awaitility.await("the server expired the session").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> server.err().contains("expired 1 sessions"));

      ShipperProcess refused = ShipperProcess.client(dir, "refused", args);
      assertEquals(ShipperExitCodes.REFUSED, refused.await(60), refused::err);
      assertTrue(refused.err().contains("EXPIRED_SESSION"), refused::err);

      List<String> newSession = new ArrayList<>(args);
      newSession.add("--new-session");
      ShipperProcess finish = ShipperProcess.client(dir, "new-session", newSession);
      assertEquals(0, finish.await(60), () -> finish.err() + "\nserver log:\n" + server.err());
      ShipperKillTest.assertHoldsRecords(out, RECORDS, BYTES, "after --new-session");
    }
  }
}
