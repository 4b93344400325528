package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The development certificates pass a TLS scanner's certificate checks: the server certificate
 * lives at most 397 days and names a CRL that exists and is signed by the CA; when it nears its
 * end it is reissued by the same CA, so clients holding {@code ca.pem} keep trusting the server.
 */
class DevelopmentCertificatesTest {
  @TempDir Path dir;

  @Test
  void serverCertificateIsShortLivedAndNamesASignedCrl() throws Exception {
    DevelopmentCertificates.ensure(dir);
    X509Certificate ca = PemFiles.readCertificates(dir.resolve("ca.pem")).get(0);
    X509Certificate server = PemFiles.readCertificates(dir.resolve("server.pem")).get(0);
    server.verify(ca.getPublicKey());
    long days = Duration.between(server.getNotBefore().toInstant(),
        server.getNotAfter().toInstant()).toDays();
    assertEquals(DevelopmentCertificates.SERVER_DAYS, days);

    CRLDistPoint points = CRLDistPoint.fromExtensions(
        new JcaX509CertificateHolder(server).getExtensions());
    GeneralNames names = (GeneralNames) points.getDistributionPoints()[0]
        .getDistributionPoint().getName();
    GeneralName uri = names.getNames()[0];
    assertEquals(GeneralName.uniformResourceIdentifier, uri.getTagNo());
    Path crlFile = Path.of(java.net.URI.create(uri.getName().toString()));
    assertEquals(dir.toAbsolutePath().resolve("ca.crl"), crlFile);
    X509CRL crl;
    try (InputStream in = Files.newInputStream(crlFile)) {
      crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
    }
    crl.verify(ca.getPublicKey());
    assertEquals(ca.getSubjectX500Principal(), crl.getIssuerX500Principal());
    assertFalse(crl.isRevoked(server));
    assertTrue(crl.getNextUpdate().after(server.getNotAfter()), "the CRL outlives the cert");
    assertTrue(server.getExtensionValue(Extension.cRLDistributionPoints.getId()) != null);
  }

  @Test
  void serverCertificateIsReissuedBySameCaWhenItNearsItsEnd() throws Exception {
    DevelopmentCertificates.ensure(dir);
    byte[] caBefore = Files.readAllBytes(dir.resolve("ca.pem"));
    byte[] serverBefore = Files.readAllBytes(dir.resolve("server.pem"));
    X509Certificate old = PemFiles.readCertificates(dir.resolve("server.pem")).get(0);

    assertFalse(DevelopmentCertificates.renewIfDue(dir, Instant.now()), "fresh: kept");
    assertArrayEquals(serverBefore, Files.readAllBytes(dir.resolve("server.pem")));

    Instant nearEnd = old.getNotAfter().toInstant().minus(Duration.ofDays(10));
    assertTrue(DevelopmentCertificates.renewIfDue(dir, nearEnd));
    X509Certificate ca = PemFiles.readCertificates(dir.resolve("ca.pem")).get(0);
    X509Certificate renewed = PemFiles.readCertificates(dir.resolve("server.pem")).get(0);
    assertArrayEquals(caBefore, Files.readAllBytes(dir.resolve("ca.pem")), "same CA");
    renewed.verify(ca.getPublicKey());
    assertFalse(renewed.getSerialNumber().equals(old.getSerialNumber()));
    PemFiles.checkKeyMatches(PemFiles.readPrivateKey(dir.resolve("server.key")), renewed,
        dir.resolve("server.key"), dir.resolve("server.pem"));
  }
}
