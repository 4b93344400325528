package dev.lifeline.transfer.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's disk fills up in the middle of an upload: the client gets DISK_FULL (not a hang,
 * not a silent reset), the partial file holds only durable, checkpointed bytes, and once space
 * returns the same upload continues from its last checkpoint and completes verified.
 */
class DiskFullTest {
  @TempDir Path dir;

  @Test
  void uploadStopsWithDiskFullAndContinuesWhenSpaceReturns() throws Exception {
    TransferService service = new TransferService(dir.resolve("files"), 1L << 30, 1 << 20,
        Duration.ofMillis(100));
    long limit = 5L << 20;
    service.simulateDiskFull(size -> size > limit);
    byte[] data = new byte[12 << 20];
    new Random(5).nextBytes(data);
    Path src = dir.resolve("src.bin");
    Files.write(src, data);
    try (LifelineServer server = LifelineServer.builder()
            .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build())
            .handler(service)
            .start();
        LifelineClient client = LifelineClient.builder()
            .server("localhost", server.port())
            .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build())
            .store(InMemoryCheckpointStore.builder().build())
            .build()) {
      FileTransferClient transfers = new FileTransferClient(client, "localhost:" + server.port());
      TransferException full = assertThrows(TransferException.class,
          () -> transfers.upload(src, "big.bin", TransferListener.NONE));
      assertEquals(TransferException.Reason.DISK_FULL, full.reason(), full.getMessage());
      assertTrue(full.getMessage().contains("disk is full"), full.getMessage());
      assertFalse(Files.exists(dir.resolve("files/big.bin")), "no complete file yet");

      service.simulateDiskFull(size -> false);
      TransferResult done = transfers.upload(src, "big.bin", TransferListener.NONE);
      assertTrue(done.resumedFromOffset() > 0 && done.resumedFromOffset() <= limit,
          "continued from the last checkpoint before the disk filled: " + done);
      assertArrayEquals(data, Files.readAllBytes(dir.resolve("files/big.bin")));
    }
  }
}
