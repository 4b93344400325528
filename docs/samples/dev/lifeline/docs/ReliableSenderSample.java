package dev.lifeline.docs;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.flow.SessionSubscriber;
import dev.lifeline.store.FileCheckpointStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.SubmissionPublisher;

/**
 * Quoted by docs/reliable-clients.md: the telemetry shipper's sender, which a re-run after
 * kill -9 continues without losing or repeating a record.
 */
final class ReliableSenderSample {
  private ReliableSenderSample() {}

  // tag::sender[]
  /** Sends records 1..count exactly once; run it again after a crash and it continues. */
  static void ship(Path stateDir, Path caPem, int port, long count) throws Exception {
    try (FileCheckpointStore store = FileCheckpointStore.open(stateDir);
        LifelineClient client = LifelineClient.builder()
            .server("localhost", port)
            .tls(ClientTlsConfig.builder().trustedCa(caPem).build())
            .store(store)              // the session, its token and its outbox outlive the process
            .durableOutbox(true)       // a record goes on the wire only once it is fsync'd here
            .idleTimeout(Duration.ofSeconds(5)) // a silent server is given up on within 5 s
            .build()) {
      // A send-only side: SendOnly's defaults are enough (a message from the server would end
      // the session with APPLICATION_ERROR instead of going unseen).
      Session session = client.open("telemetry", new SessionHandler.SendOnly() {}).get();

      // Where to continue: the last record this process or an earlier one handed over. The
      // library itself resends those the server has not acknowledged, from the outbox.
      long next = session.handedOver() + 1;
      CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
      while (next <= count) {
        try {
          last = session.send(record(next)); // waits while the replay buffer is full
          next++;
        } catch (StreamRewoundException e) {
          // The server lost records it had acknowledged (its store was restored from an older
          // copy, say): produce them again from its checkpoint. Not expected with a durable
          // receiver, which acknowledges only what it made durable.
          next = session.handedOver() + 1;
        }
      }
      last.get(); // the server durably stored the last record, and with it every earlier one
      session.close(Duration.ofSeconds(10)).get(); // both sides forget the session
    }
  }

  /** Record {@code n}: one line of about 200 bytes that begins with its number. */
  static byte[] record(long n) {
    char[] padding = new char[180];
    Arrays.fill(padding, 'x');
    return (n + " " + new String(padding) + "\n").getBytes(StandardCharsets.US_ASCII);
  }
  // end::sender[]

  // tag::flow[]
  /** The same records through a Flow publisher (Reactor, RxJava and Akka Streams adapt to one). */
  static void shipFrom(Session session, long count) throws Exception {
    SessionSubscriber subscriber = SessionSubscriber.of(session);
    try (SubmissionPublisher<ByteBuffer> records = new SubmissionPublisher<>()) {
      records.subscribe(subscriber); // it requests a record only while the replay buffer has room
      for (long n = session.handedOver() + 1; n <= count; n++) {
        records.submit(ByteBuffer.wrap(record(n))); // waits while the subscriber is saturated
      }
    } // close() completes the stream
    subscriber.completion().get(); // every record sent and acknowledged by the server
  }
  // end::flow[]
}
