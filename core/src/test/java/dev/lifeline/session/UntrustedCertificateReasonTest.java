package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A client that does not trust the server's certificate: the client's warning, the client's
 * per-minute summary and the server's summary all say so in words, not "SSLHandshakeException:
 * General OpenSslEngine problem" or BoringSSL's error string.
 */
class UntrustedCertificateReasonTest {
  @TempDir Path dir;
  @TempDir Path other;

  @Test
  void summariesAndTheWarningSayTheCertificateIsNotTrusted() throws Exception {
    Logger lifeline = (Logger) LoggerFactory.getLogger("dev.lifeline");
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    lifeline.addAppender(captured);
    try {
      Fixtures.server(other, (s, seq, m) -> { }).start().close(); // another development CA
      Path otherCa = other.resolve("tls/ca.pem");
      LifelineServer server = Fixtures.server(dir, (s, seq, m) -> { }).start();
      try {
        try (LifelineClient client = LifelineClient.builder()
            .server("127.0.0.1", server.port())
            .tls(ClientTlsConfig.builder().trustedCa(otherCa).build()).build()) {
          ExecutionException e = assertThrows(ExecutionException.class,
              () -> client.open("job", (s, seq, m) -> { }).get(10, TimeUnit.SECONDS));
          assertTrue(e.getCause().getMessage().contains(
              "failed: the server's certificate is not trusted (CertPathValidatorException"),
              e.getCause().getMessage());
        }
        // A JDK client says which alert it sends, so the server can tell this apart too.
        assertThrows(SSLHandshakeException.class, () -> RawSessionClient.connect(
            RawSessionClient.trusting(otherCa), server.port()).close());
      } finally {
        server.close();
      }
      List<String> info = captured.list.stream()
          .filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
          .map(ILoggingEvent::getFormattedMessage)
          .collect(Collectors.toList());
      List<String> warnings = info.stream()
          .filter(l -> l.startsWith("TLS handshake with 127.0.0.1:" + server.port()))
          .collect(Collectors.toList());
      assertEquals(1, warnings.size(), info.toString());
      assertTrue(warnings.get(0).contains(
          "failed: the server's certificate is not trusted (CertPathValidatorException: "),
          warnings.get(0));

      String client = summary(info, "client: ");
      assertTrue(client.contains("1× TLS handshake failed (the server's certificate is not"
          + " trusted (CertPathValidatorException: "), client);
      String server1 = summary(info, "server: ");
      assertTrue(server1.contains("1× TLS handshake failed (the client does not trust the"
          + " server's certificate (alert certificate_unknown))"), server1);
      for (String line : List.of(client, server1)) {
        assertFalse(line.contains("General OpenSslEngine problem"), line);
        assertFalse(line.contains("OPENSSL_internal"), line);
      }
    } finally {
      lifeline.detachAppender(captured);
    }
  }

  private static String summary(List<String> info, String side) {
    List<String> lines = info.stream()
        .filter(l -> l.startsWith(side) && l.contains("connection problem"))
        .collect(Collectors.toList());
    assertEquals(1, lines.size(), side + "summaries: " + info);
    return lines.get(0);
  }
}
