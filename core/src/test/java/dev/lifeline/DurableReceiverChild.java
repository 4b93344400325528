package dev.lifeline;

import dev.lifeline.store.FileCheckpointStore;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A server process whose handler is a {@link DurableReceiver} with a {@link FileSink}, for
 * {@link DurableReceiverCrashTest} to kill with SIGKILL. Arguments: the directory (TLS under
 * {@code tls/}, the store under {@code store/}, the sink's file {@code out}) and the port (0 for
 * any). Prints {@code listening on PORT} once ready, then runs until killed.
 */
public final class DurableReceiverChild {
  private DurableReceiverChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    FileCheckpointStore store = FileCheckpointStore.open(dir.resolve("store"));
    DurableReceiver receiver = DurableReceiver.builder(
            FileSink.factory(new FileSink.Log(dir.resolve("out"))))
        .everyMessages(64).every(Duration.ofMillis(5)).build();
    LifelineServer server = LifelineServer.builder()
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build())
        .store(store)
        .port(Integer.parseInt(args[1]))
        .handler(receiver)
        .start();
    System.out.println("listening on " + server.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
