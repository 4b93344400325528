package dev.lifeline.examples.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract as the issue states it, on the packaged jar: {@code java -jar
 * lifeline-examples.jar shipper-server ...} prints its ready line, {@code shipper-client ...}
 * exits 0 with every record in the file. Proves the shaded jar carries what the programs need
 * (the TLS provider's native library, service files, the logging set-up). Runs in the
 * integration-test phase, after the jar is packaged.
 */
@Timeout(60)
class ShipperJarIT {
  static final Path PACKAGED = Path.of("target", "lifeline-examples.jar").toAbsolutePath();
  private static final int RECORDS = 2_000;

  @TempDir Path dir;

  @Test
  void thePackagedJarShipsEveryRecordOnce() throws Exception {
    assertTrue(Files.isRegularFile(PACKAGED), PACKAGED + " is packaged before this test runs");
    ShipperProcess.Launcher jar = ShipperProcess.jar(PACKAGED);
    Path data = dir.resolve("data");
    Path out = dir.resolve("records.txt");
    try (ShipperProcess server = ShipperProcess.server(jar, data, 0, out,
        dir.resolve("server.log"))) {
      ShipperProcess client = ShipperProcess.client(jar, dir, "client",
          ShipperProcess.clientArgs(server.address(), data.resolve("tls/ca.pem"),
              dir.resolve("state"), RECORDS, Records.DEFAULT_BYTES));

      assertEquals(0, client.await(45), client::err);
      assertTrue(client.out().startsWith("stored records 1.." + RECORDS + " on "), client.out());
      assertEquals("", client.err(), "a client that succeeds says nothing on stderr");
      ShipperKillTest.assertHoldsRecords(out, RECORDS, Records.DEFAULT_BYTES, "packaged jar");
    }
  }
}
