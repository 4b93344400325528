package dev.lifeline.transfer;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.store.FileCheckpointStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A tree upload in a child JVM with its own file store, for a test that kills it: prints each
 * finished file, and holds still (printing "holding") once more than HOLD bytes were sent, so
 * the kill lands mid-set and mid-file however fast the machine is.
 *
 * <p>Arguments: PORT CA_PEM STORE_DIR SOURCE_DIR PREFIX HOLD_BYTES
 */
public final class TreeUploadChild {
  private TreeUploadChild() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    long hold = Long.parseLong(args[5]);
    try (FileCheckpointStore store = FileCheckpointStore.open(Path.of(args[2]));
        LifelineClient client = LifelineClient.builder()
            .server("localhost", port)
            .tls(ClientTlsConfig.builder().trustedCa(Path.of(args[1])).build())
            .store(store)
            .idleTimeout(Duration.ofSeconds(1))
            .replayBufferBytes(8 << 20)
            .build()) {
      TreeListener listener = new TreeListener() {
        @Override
        public void fileFinished(FileOutcome o) {
          System.out.println("finished " + o.status() + " " + o.name());
          System.out.flush();
        }

        @Override
        public void progress(int files, long bytes) {
          if (bytes > hold) {
            System.out.println("holding");
            System.out.flush();
            try {
              new CountDownLatch(1).await(); // until killed
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        }
      };
      TreeResult r = new FileTransferClient(client, "localhost:" + port)
          .uploadTree(Path.of(args[3]), args[4], listener);
      System.out.println("result " + r.toJson());
    }
  }
}
