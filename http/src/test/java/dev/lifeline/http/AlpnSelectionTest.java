package dev.lifeline.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One port, the protocol chosen per connection by ALPN: {@code lifeline/1} gets the Lifeline
 * greeting and sessions, {@code http/1.1} and a client offering no ALPN (or only protocols the
 * server does not speak) get HTTP/1.1 and never see the greeting.
 */
class AlpnSelectionTest {
  @TempDir static Path dir;
  static HttpTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new HttpTestServer(dir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void lifelineClientGetsTheGreeting() throws Exception {
    try (SSLSocket s = server.socket("lifeline/1")) {
      assertEquals("lifeline/1", s.getApplicationProtocol());
      byte[] head = s.getInputStream().readNBytes(6);
      // A HELLO frame: 4-byte length, version, then the HELLO type; never an HTTP status line.
      assertEquals(6, head.length);
      assertTrue(!new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/"),
          "got " + new String(head, StandardCharsets.US_ASCII));
      assertEquals(dev.lifeline.internal.protocol.FrameDescriptor.HELLO, head[5]);
    }
  }

  @Test
  void http11ClientGetsHttp() throws Exception {
    try (SSLSocket s = server.socket("http/1.1")) {
      assertEquals("http/1.1", s.getApplicationProtocol());
      assertTrue(get(s, "/status.json").startsWith("HTTP/1.1 200 OK"));
    }
  }

  @Test
  void clientWithoutAlpnGetsHttp() throws Exception {
    try (SSLSocket s = server.socket()) {
      assertEquals("", s.getApplicationProtocol());
      String reply = get(s, "/status.json");
      assertTrue(reply.startsWith("HTTP/1.1 200 OK"), reply);
    }
  }

  @Test
  void clientOfferingOnlyH2GetsHttp11() throws Exception {
    try (SSLSocket s = server.socket("h2")) {
      assertEquals("", s.getApplicationProtocol());
      assertTrue(get(s, "/nothing").startsWith("HTTP/1.1 404"));
    }
  }

  @Test
  void curlAndLifelineShareThePort() throws Exception {
    Path file = server.putFile("shared.bin", 3 << 20, 1);
    Files.deleteIfExists(dir.resolve("curl.bin"));
    Files.deleteIfExists(dir.resolve("lifeline.bin"));
    HttpTestServer.Run curl = server.curl("--write-out", "%{http_version} %{http_code}",
        "--output", dir.resolve("curl.bin").toString(), server.url("/files/shared.bin"));
    assertEquals(0, curl.exit(), curl.toString());
    assertEquals("1.1 200", curl.out());
    try (var client = server.client(dir, null, 0)) {
      TransferResult r = new FileTransferClient(client, "127.0.0.1:" + server.server.port())
          .download("shared.bin", dir.resolve("lifeline.bin"), TransferListener.NONE);
      assertEquals(HttpTestServer.sha256(file), r.sha256());
    }
    assertEquals(HttpTestServer.sha256(file), HttpTestServer.sha256(dir.resolve("curl.bin")));
  }

  @Test
  void eachConnectionOnOnePortChoosesItsOwnProtocol() throws Exception {
    selectsPerConnection(server);
  }

  @Test
  void jdkTlsProviderSelectsTheSameWay() throws Exception {
    try (HttpTestServer jdk = new HttpTestServer(dir.resolve("jdk"),
        dev.lifeline.Authenticator.DEFAULT, Access.LOOPBACK, Access.LOOPBACK,
        dev.lifeline.TlsProvider.JDK)) {
      assertEquals("JDK", jdk.server.tlsProvider());
      selectsPerConnection(jdk);
    }
  }

  private static void selectsPerConnection(HttpTestServer server) throws Exception {
    try (SSLSocket s = server.socket("lifeline/1")) {
      assertEquals("lifeline/1", s.getApplicationProtocol());
      assertEquals(dev.lifeline.internal.protocol.FrameDescriptor.HELLO,
          s.getInputStream().readNBytes(6)[5]);
    }
    try (SSLSocket s = server.socket("h2", "http/1.1")) {
      assertEquals("http/1.1", s.getApplicationProtocol());
      assertTrue(get(s, "/status.json").startsWith("HTTP/1.1 200 OK"));
    }
    try (SSLSocket s = server.socket()) {
      assertTrue(get(s, "/status.json").startsWith("HTTP/1.1 200 OK"));
    }
  }

  /** Sends a GET and returns what arrives until the server closes (Connection: close). */
  static String get(SSLSocket s, String path) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }
}
