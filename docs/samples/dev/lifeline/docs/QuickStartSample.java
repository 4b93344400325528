package dev.lifeline.docs;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.transfer.FileTransferServer;
import java.nio.file.Path;

/** The README's "Using the library" sample, compiled. */
final class QuickStartSample {
  private QuickStartSample() {}

  static void quickStart(Path dataDir, Path stateDir, SessionHandler handler, byte[] bytes)
      throws Exception {
    FileTransferServer files = FileTransferServer.builder(dataDir.resolve("files")).build();
    LifelineServer server = LifelineServer.builder()
        .port(7443)
        .tls(ServerTlsConfig.builder().developmentCertificates(dataDir.resolve("tls")).build())
        .store(FileCheckpointStore.open(dataDir.resolve("sessions")))
        .handler(files.handler())                 // a SessionHandler: yours, or FileTransferServer's
        .start();

    LifelineClient client = LifelineClient.builder()
        .server("localhost", 7443)
        .tls(ClientTlsConfig.builder().trustedCa(dataDir.resolve("tls/ca.pem")).build())
        .store(FileCheckpointStore.open(stateDir))  // lets a re-run continue after a crash
        .build();
    Session session = client.open("job-42", handler).get();
    session.send(bytes);                          // completes when the server acknowledged it

    client.close();
    server.close();
  }
}
