package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineServer;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Failed handshakes and connections closed for bad frames are not logged one line each at INFO
 * (a scanner or a flood of bad clients would fill the log), but counted and summarised: the
 * server writes one INFO summary per minute, and the rest when it closes.
 */
class ConnectionLogSummaryTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  @Test
  void badConnectionsAreSummarisedNotLoggedOneByOne() throws Exception {
    Logger lifeline = (Logger) LoggerFactory.getLogger("dev.lifeline");
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    lifeline.addAppender(captured);
    try {
      LifelineServer server = Fixtures.server(dir, (s, seq, m) -> { }).start();
      int port = server.port();
      try {
        SSLContext tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
        for (int i = 0; i < 3; i++) { // not TLS at all: the handshake fails
          try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.setSoTimeout((int) WAIT.toMillis());
            while (s.getInputStream().read() >= 0) {
              // until the server closes
            }
          }
        }
        for (int i = 0; i < 4; i++) { // a frame of an unknown type right after the handshake
          try (RawSessionClient c = RawSessionClient.connect(tls, port)) {
            c.sendRaw(ByteBuffer.allocate(6).putInt(2).put((byte) FrameDescriptor.VERSION)
                .put((byte) 0x7f).array());
            assertEquals(ErrorCode.UNKNOWN_FRAME_TYPE, c.await(Frame.Close.class, WAIT).code());
          }
        }
      } finally {
        server.close();
      }
      List<String> info = captured.list.stream()
          .filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
          .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage())
          .collect(Collectors.toList());
      List<String> perConnection = info.stream()
          .filter(l -> !l.contains("Lifeline server on"))
          .filter(l -> l.contains(":" + port) || l.contains("closing connection")
              || l.contains("TLS handshake with"))
          .collect(Collectors.toList());
      assertTrue(perConnection.isEmpty(), "no per-connection lines at INFO: " + perConnection);
      List<String> summaries = info.stream()
          .filter(l -> l.contains("ConnectionLog") && l.contains("server: 7 connection problems"))
          .collect(Collectors.toList());
      assertEquals(1, summaries.size(), "one summary of this server's 7 problems: " + info);
      String summary = summaries.get(0);
      assertTrue(summary.contains("3× TLS handshake failed (not TLS: the client sent something"
          + " else (plaintext on the TLS port?))"), summary);
      assertTrue(summary.contains("4× closed UNKNOWN_FRAME_TYPE"), summary);
    } finally {
      lifeline.detachAppender(captured);
    }
  }
}
