package dev.lifeline.transfer;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.store.FileCheckpointStore;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A client process for {@link TreeDownloadRestartTest}: downloads a tree with its store on disk
 * and prints {@code FILE status name} for every file finished (a file is in place under its name
 * when it is printed), then {@code DONE}. Arguments: port, CA file, store directory, prefix,
 * target directory.
 */
public final class TreeDownloadChild {
  private TreeDownloadChild() {}

  public static void main(String[] args) throws Exception {
    try (FileCheckpointStore store = FileCheckpointStore.open(Path.of(args[2]));
        LifelineClient client = LifelineClient.builder()
            .server("localhost", Integer.parseInt(args[0]))
            .tls(ClientTlsConfig.builder().trustedCa(Path.of(args[1])).build())
            .store(store)
            .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60))
            .build()) {
      TreeResult r = new FileTransferClient(client, "localhost:" + args[0]).downloadTree(args[3],
          Path.of(args[4]), new TreeListener() {
            @Override
            public void fileFinished(FileOutcome o) {
              System.out.println("FILE " + o.status() + " " + o.name());
              System.out.flush();
            }
          });
      System.out.println("DONE " + r.toJson());
      System.out.flush();
    }
  }
}
