package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.TlsConfigurationException;
import dev.lifeline.TlsProvider;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Certificate loading: key/certificate match, clear errors, development CA creation and reuse. */
class CertificateTest {
  private static EventLoopGroup group;

  @TempDir
  Path dir;

  @BeforeAll
  static void startGroup() {
    group = TlsTestSupport.newGroup();
  }

  @AfterAll
  static void stopGroup() {
    group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void mismatchedKeyIsRefusedNamingBothFiles() throws Exception {
    DevelopmentCertificates.ensure(dir.resolve("a"));
    DevelopmentCertificates.ensure(dir.resolve("b"));
    Path certificate = dir.resolve("a/server.pem");
    Path foreignKey = dir.resolve("b/server.key");
    ServerTlsConfig config = ServerTlsConfig.builder().certificate(certificate, foreignKey).build();

    TlsConfigurationException e = assertThrows(TlsConfigurationException.class,
        () -> ServerTls.create(config, HandshakeListener.NONE));
    assertEquals("private key " + foreignKey + " does not match certificate " + certificate,
        e.getMessage());
  }

  @Test
  void matchingKeyFromOtherFilesIsAccepted() throws Exception {
    DevelopmentCertificates.ensure(dir);
    ServerTlsConfig config = ServerTlsConfig.builder()
        .certificate(dir.resolve("server.pem"), dir.resolve("server.key")).build();
    try (ServerTls tls = ServerTls.create(config, HandshakeListener.NONE)) {
      assertFalse(tls.providerName().isEmpty());
    }
  }

  @Test
  void garbageAndMissingFilesGetClearMessages() throws Exception {
    DevelopmentCertificates.ensure(dir);
    Path key = dir.resolve("server.key");
    Path text = Files.writeString(dir.resolve("text.pem"), "hello, I am not a certificate\n");
    Path broken = Files.writeString(dir.resolve("broken.pem"),
        "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n");
    Path missing = dir.resolve("missing.pem");

    assertEquals("certificate file " + text + " contains no PEM certificate"
        + " (expected: -----BEGIN CERTIFICATE-----)", createFails(text, key));
    assertTrue(createFails(broken, key).startsWith("certificate file " + broken
        + " is not valid PEM: "), createFails(broken, key));
    assertEquals("certificate file " + missing + " does not exist", createFails(missing, key));
    assertEquals("private key file " + text + " contains no PEM private key"
        + " (expected: -----BEGIN PRIVATE KEY-----)", createFails(dir.resolve("server.pem"), text));
  }

  @Test
  void traditionalRsaAndEcKeysAreAccepted() throws Exception {
    OpenSslCli.assumeInstalled();
    for (String algorithm : List.of("rsa:2048", "ec")) {
      Path sub = Files.createDirectories(dir.resolve(algorithm.replace(':', '-')));
      Path pkcs8 = sub.resolve("pkcs8.key");
      Path traditional = sub.resolve("traditional.key");
      Path certificate = sub.resolve("cert.pem");
      List<String> newKey = algorithm.equals("ec")
          ? List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")
          : List.of("-newkey", algorithm);
      List<String> req = new java.util.ArrayList<>(List.of("req", "-x509", "-nodes", "-days",
          "1", "-subj", "/CN=localhost", "-keyout", pkcs8.toString(), "-out",
          certificate.toString()));
      req.addAll(newKey);
      assertEquals(0, OpenSslCli.run(req).exitCode);
      String tool = algorithm.equals("ec") ? "ec" : "rsa";
      List<String> convertCommand = new java.util.ArrayList<>(
          List.of(tool, "-in", pkcs8.toString(), "-out", traditional.toString()));
      if (tool.equals("rsa")) {
        convertCommand.add("-traditional"); // "openssl ec" writes SEC1 by default
      }
      OpenSslCli.Run convert = OpenSslCli.run(convertCommand);
      assertEquals(0, convert.exitCode, convert.toString());
      String header = algorithm.equals("ec") ? "BEGIN EC PRIVATE KEY" : "BEGIN RSA PRIVATE KEY";
      assertTrue(Files.readString(traditional).contains(header), Files.readString(traditional));

      ServerTlsConfig config = ServerTlsConfig.builder().certificate(certificate, traditional).build();
      ServerTls.create(config, HandshakeListener.NONE).close();
    }
  }

  @Test
  void developmentCertificatesAreCreatedOnceWithPrivateKeyFiles() throws Exception {
    ServerTlsConfig config = ServerTlsConfig.builder().developmentCertificates(dir).build();
    ServerTls.create(config, HandshakeListener.NONE).close();
    for (String name : List.of("ca.pem", "ca.key", "server.pem", "server.key")) {
      assertTrue(Files.isRegularFile(dir.resolve(name)), name);
    }
    for (String key : List.of("ca.key", "server.key", "ticket-keys")) {
      assertEquals("rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(key))), key);
    }
    String ca = Files.readString(dir.resolve("ca.pem"));
    String serverKey = Files.readString(dir.resolve("server.key"));

    ServerTls.create(config, HandshakeListener.NONE).close();
    assertEquals(ca, Files.readString(dir.resolve("ca.pem")), "CA was recreated");
    assertEquals(serverKey, Files.readString(dir.resolve("server.key")), "key was recreated");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.lifeline.internal.tls.TlsTestSupport#providers")
  void clientTrustingDevelopmentCaVerifiesLocalhostAndLoopbackIpButNoOtherName(
      TlsProvider provider) throws Exception {
    RecordingListener clientEvents = new RecordingListener();
    try (ServerTls server = ServerTls.create(TlsTestSupport.server(dir, provider).build(),
            HandshakeListener.NONE, Clock.systemUTC(), false);
        TlsTestServer listener = new TlsTestServer(server, group, 0, false);
        ClientTls client = ClientTls.create(TlsTestSupport.client(dir, provider, "TLSv1.3"),
            clientEvents)) {
      for (String host : List.of("localhost", "127.0.0.1")) {
        TlsTestClient.Result result =
            TlsTestClient.connectOnce(client, group, host, "127.0.0.1", listener.port());
        assertEquals(TlsTestServer.GREETING, result.greeting);
        assertTrue(clientEvents.take().succeeded(), host);
      }
      // Control: the same certificate presented for another name must be refused.
      assertThrows(Exception.class, () ->
          TlsTestClient.connectOnce(client, group, "example.com", "127.0.0.1", listener.port()));
      HandshakeEvent refused = clientEvents.take();
      assertFalse(refused.succeeded(), refused.toString());
    }
  }

  private String createFails(Path certificate, Path key) {
    ServerTlsConfig config = ServerTlsConfig.builder().certificate(certificate, key).build();
    return assertThrows(TlsConfigurationException.class,
        () -> ServerTls.create(config, HandshakeListener.NONE)).getMessage();
  }
}
