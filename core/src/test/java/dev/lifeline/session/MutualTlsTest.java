package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS: the server requires a client certificate from its client CA, and the default
 * authenticator binds each session to the certificate's subject. A client without a certificate
 * gets no handshake; another certificate holder with the right token is refused FOREIGN_SESSION.
 */
class MutualTlsTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;
  private LifelineServer server;
  private SSLContext alice;
  private SSLContext bob;
  private Fixtures.CheckedStream receiver;

  @BeforeEach
  void start() throws Exception {
    Path clients = Files.createDirectories(dir.resolve("clients"));
    KeyPair caKeys = keys();
    X500Name caName = new X500Name("CN=Lifeline test client CA");
    X509Certificate ca = sign(new JcaX509v3CertificateBuilder(caName, serial(), from(), to(),
        caName, caKeys.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(0)), caKeys);
    Files.writeString(clients.resolve("ca.pem"), pem(ca));
    receiver = new Fixtures.CheckedStream();
    server = LifelineServer.builder()
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls"))
            .trustedClientCa(clients.resolve("ca.pem")).build())
        .handler(receiver)
        .refusalLimit(1000, 1000)
        .start();
    alice = issue("alice", ca, caKeys, clients);
    bob = issue("bob", ca, caKeys, clients);
  }

  @Test
  void sessionsAreBoundToTheCertificateSubject() throws Exception {
    Frame.Opened opened;
    try (RawSessionClient c = RawSessionClient.connect(alice, server.port())) {
      c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, new byte[0]));
      opened = c.await(Frame.Opened.class, Duration.ofSeconds(10));
    }
    Frame.Resume stolen = new Frame.Resume(opened.sessionId(), opened.token(), new byte[0],
        new Frame.StreamState(0, 0, new byte[0], 1));
    try (RawSessionClient c = RawSessionClient.connect(bob, server.port())) {
      c.send(stolen);
      Frame.Close refused = c.await(Frame.Close.class, Duration.ofSeconds(10));
      assertEquals(ErrorCode.FOREIGN_SESSION, refused.code(), "bob holds alice's token");
      assertTrue(!refused.reason().contains("alice"), "the owner is not named: " + refused.reason());
    }
    try (RawSessionClient c = RawSessionClient.connect(alice, server.port())) {
      c.send(stolen);
      c.await(Frame.Resumed.class, Duration.ofSeconds(10)); // the refusal burned nothing
    }
  }

  @Test
  void aClientWithoutACertificateGetsNoHandshake() throws Exception {
    SSLContext anonymous = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
    assertThrows(IOException.class, () -> {
      try (RawSessionClient c = RawSessionClient.connect(anonymous, server.port())) {
        c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, new byte[0]));
        if (c.read() == null) {
          throw new IOException("closed"); // TLS 1.3: the refusal may come after the handshake
        }
      }
    });
    assertEquals(0, server.sessionCount());
  }

  @Test
  void theLibraryClientAuthenticatesWithItsCertificate() throws Exception {
    Path clients = dir.resolve("clients");
    try (LifelineClient client = LifelineClient.builder()
        .server("127.0.0.1", server.port())
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem"))
            .clientCertificate(clients.resolve("alice.pem"), clients.resolve("alice.key"))
            .build())
        .build()) {
      Session session = client.open("mtls", (s, seq, m) -> { }).get(10, TimeUnit.SECONDS);
      Fixtures.sendAll(session, 20, 1024);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received() == 20);
      assertTrue(receiver.ok(), receiver.errors::toString);
    }
  }

  @org.junit.jupiter.api.AfterEach
  void stop() {
    server.close();
  }

  /** Issues a client certificate for CN={@code name}: PEM files, and an SSLContext using it. */
  private SSLContext issue(String name, X509Certificate ca, KeyPair caKeys, Path clients)
      throws Exception {
    KeyPair keys = keys();
    X509Certificate cert = sign(new JcaX509v3CertificateBuilder(ca, serial(), from(), to(),
        new X500Name("CN=" + name), keys.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false)), caKeys);
    Files.writeString(clients.resolve(name + ".pem"), pem(cert));
    Files.writeString(clients.resolve(name + ".key"),
        pem(new JcaPKCS8Generator(keys.getPrivate(), null)));

    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("me", keys.getPrivate(), new char[0], new Certificate[] {cert, ca});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (var in = Files.newInputStream(dir.resolve("tls/ca.pem"))) {
      trust.setCertificateEntry("server-ca",
          CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  private static KeyPair keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuer) throws Exception {
    byte[] der = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate()))
        .getEncoded();
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(der));
  }

  private static String pem(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static Date from() {
    return Date.from(Instant.now().minus(Duration.ofDays(1)));
  }

  private static Date to() {
    return Date.from(Instant.now().plus(Duration.ofDays(30)));
  }
}
