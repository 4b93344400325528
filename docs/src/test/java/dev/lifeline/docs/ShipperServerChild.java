package dev.lifeline.docs;

import dev.lifeline.LifelineServer;
import dev.lifeline.store.FileCheckpointStore;
import java.nio.file.Path;

/**
 * The shipper server of docs/reliable-clients.md in a JVM of its own, for tests that kill it
 * with SIGKILL: {@code ShipperServerChild DATA_DIR} prints {@code listening on 127.0.0.1:PORT}
 * once it serves, then runs until killed.
 */
final class ShipperServerChild {
  private ShipperServerChild() {}

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args[0]);
    FileCheckpointStore sessions = FileCheckpointStore.open(data.resolve("sessions"));
    LifelineServer server = DurableReceiverSample.shipperServer(data, sessions, 0);
    System.out.println("listening on 127.0.0.1:" + server.port());
    System.out.flush();
    Thread.currentThread().join(); // until SIGKILL
  }
}
