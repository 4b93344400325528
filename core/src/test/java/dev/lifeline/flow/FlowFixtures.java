package dev.lifeline.flow;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.SessionHandler;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** Endpoints on loopback TLS and numbered, checkable messages for the Flow adapter tests. */
final class FlowFixtures {
  static final int MAX_MESSAGE = 1024;

  private FlowFixtures() {}

  /** A server on a free loopback port with development certificates under {@code dir/tls}. */
  static LifelineServer.Builder server(Path dir, SessionHandler handler) {
    return LifelineServer.builder()
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls")).build())
        .maxMessageSize(MAX_MESSAGE)
        .handler(handler);
  }

  /** A client trusting the development CA (start the server first: it creates the CA). */
  static LifelineClient.Builder client(Path dir, int port) {
    return LifelineClient.builder()
        .server("127.0.0.1", port)
        .maxMessageSize(MAX_MESSAGE)
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build());
  }

  /** Message {@code n}: 8 bytes carrying n, then a pattern of n, 8 to MAX_MESSAGE bytes long. */
  static ByteBuffer message(long n) {
    int size = 8 + (int) (n * 7919 % (MAX_MESSAGE - 8));
    ByteBuffer b = ByteBuffer.allocate(size).putLong(n);
    for (int i = 8; i < size; i++) {
      b.put((byte) (n * 31 + i));
    }
    return b.flip();
  }

  /**
   * Why {@code message} is not message {@code expected} of the sequence {@code seq ==
   * expected}, or null if it is.
   */
  static String mismatch(long expected, long seq, ByteBuffer message) {
    ByteBuffer m = message.duplicate();
    if (seq != expected || m.remaining() < 8) {
      return "expected message " + expected + ", got seq " + seq;
    }
    return m.equals(message(expected)) ? null
        : "message " + expected + " differs: " + m.remaining() + " bytes carrying " + m.getLong(0);
  }
}
