package dev.lifeline.session;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Servers, clients and checked message streams shared by the session tests. */
final class Fixtures {
  private Fixtures() {}

  /** A server on a free loopback port with the development certificates under {@code dir/tls}. */
  static LifelineServer.Builder server(Path dir, SessionHandler handler) {
    return LifelineServer.builder()
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build())
        .handler(handler);
  }

  /** A client trusting the development CA (start the server first: it creates the CA). */
  static LifelineClient.Builder client(Path dir, int port) {
    return LifelineClient.builder()
        .server("127.0.0.1", port)
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build());
  }

  /**
   * Message {@code n} of a checked stream: 8 bytes carrying {@code n}, then a pattern derived from
   * {@code n}, of a size that varies with {@code n} (8 to {@code 8 + spread - 1} bytes).
   */
  static byte[] message(long n, int spread) {
    int size = messageSize(n, spread);
    ByteBuffer b = ByteBuffer.allocate(size).putLong(n);
    for (int i = 8; i < size; i++) {
      b.put((byte) (n * 31 + i));
    }
    return b.array();
  }

  /** The length of {@link #message}{@code (n, spread)}. */
  static int messageSize(long n, int spread) {
    return 8 + (int) (n * 7919 % spread);
  }

  /**
   * Receives a checked stream: the n-th message must have sequence n, carry n and its pattern.
   * Any difference (loss, duplicate, reordering, corruption) is recorded in {@link #errors}.
   */
  static final class CheckedStream implements SessionHandler {
    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private volatile long received;

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) {
      long expected = received + 1;
      long carried = message.getLong(message.position());
      if (carried != expected || seq != expected) {
        errors.add("expected " + expected + ", got seq " + seq + " carrying " + carried);
      }
      for (int i = 8; i < message.remaining(); i++) {
        if (message.get(message.position() + i) != (byte) (carried * 31 + i)) {
          errors.add("message " + carried + " corrupt at byte " + i);
          break;
        }
      }
      received = carried;
    }

    /** Messages received in order so far. */
    long received() {
      return received;
    }

    boolean ok() {
      return errors.isEmpty();
    }
  }

  /** Sends messages 1..count of a checked stream, waiting when the replay buffer is full. */
  static void sendAll(Session session, long count, int spread) throws Exception {
    for (long n = 1; n <= count; n++) {
      session.send(message(n, spread));
    }
  }
}
