package dev.lifeline.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.TransferListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page says why in words: a failed TLS handshake and a disconnect show the reason
 * core's FailureReason gives ("the client does not trust the server's certificate", "connection
 * reset by the client"), not an exception's class and message.
 */
class StatusReasonsTest {
  private static final Pattern RAW = Pattern.compile("[A-Za-z]+(Exception|Error)\\b");

  @TempDir Path dir;
  @TempDir Path otherDir;

  @Test
  void aClientThatDoesNotTrustTheServerShowsAsSuchOnTheStatusPage() throws Exception {
    new HttpTestServer(otherDir).close(); // another development CA, which the server's is not
    try (HttpTestServer server = new HttpTestServer(dir)) {
      assertThrows(SSLHandshakeException.class,
          () -> server.socketTrusting(otherDir.resolve("tls/ca.pem")).close());

      String json = statusJson(server);
      List<String> failed = details(json, "tls-failed");
      assertEquals(1, failed.size(), json);
      assertTrue(failed.get(0).matches("127\\.0\\.0\\.1:\\d+: the client does not trust the"
          + " server's certificate \\(alert certificate_unknown\\)"), failed.get(0));
      assertTrue(json.contains("\"failed\":1"), json);
    }
  }

  @Test
  void disconnectsShowTheirReasonInWordsNotAnException() throws Exception {
    try (HttpTestServer server = new HttpTestServer(dir)) {
      byte[] data = new byte[3 << 20];
      new Random(5).nextBytes(data);
      Path source = dir.resolve("up.bin");
      Files.write(source, data);
      try (LifelineClient up = server.client(dir, "cut=256K..512K,mode=rst,count=2", 7)) {
        new FileTransferClient(up, "127.0.0.1:" + server.server.port())
            .upload(source, "up.bin", TransferListener.NONE);
      }
      String json = statusJson(server);
      List<String> disconnects = details(json, "disconnect");
      assertFalse(disconnects.isEmpty(), json);
      for (String detail : disconnects) {
        assertFalse(RAW.matcher(detail).find(), "an exception's text, not words: " + detail);
      }
      // A reset cut reaches the server as a reset when it reads, a broken pipe if it was writing.
      assertTrue(disconnects.stream().anyMatch(d -> d.equals("connection reset by the client")
          || d.startsWith("connection broken: the client is gone")), disconnects.toString());
    }
  }

  private static String statusJson(HttpTestServer server) throws Exception {
    HttpTestServer.Run run = server.curl(server.url("/status.json"));
    assertEquals(0, run.exit(), run.toString());
    return run.out();
  }

  /** The detail of every event of {@code kind} in the status document. */
  private static List<String> details(String json, String kind) {
    Matcher m = Pattern.compile("\\{\"at\":\\d+,\"kind\":\"" + Pattern.quote(kind)
        + "\",\"session\":\"[^\"]*\",\"detail\":\"((?:[^\"\\\\]|\\\\.)*)\"\\}").matcher(json);
    List<String> found = new ArrayList<>();
    while (m.find()) {
      found.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    return found;
  }
}
