package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.TlsConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificates are read from PEM with the JDK alone, as Bouncy Castle's parser read them. */
class PemFilesTest {
  @TempDir Path dir;

  @Test
  void readsEveryCertificateInFileOrderSkippingOtherBlocks() throws Exception {
    DevelopmentCertificates.ensure(dir);
    String server = Files.readString(dir.resolve(DevelopmentCertificates.SERVER_CERT));
    String ca = Files.readString(dir.resolve(DevelopmentCertificates.CA_CERT));
    String key = Files.readString(dir.resolve(DevelopmentCertificates.SERVER_KEY));
    // A key first, CRLF line ends and text between the blocks, as hand-made bundles have them.
    Path bundle = Files.writeString(dir.resolve("bundle.pem"), key + "server:\r\n"
        + server.replace("\n", "\r\n") + "\nthe CA:\n" + ca);

    List<X509Certificate> chain = PemFiles.readCertificates(bundle);

    assertEquals(2, chain.size());
    assertEquals(PemFiles.readCertificates(dir.resolve(DevelopmentCertificates.SERVER_CERT)).get(0),
        chain.get(0));
    assertEquals(PemFiles.readCertificates(dir.resolve(DevelopmentCertificates.CA_CERT)).get(0),
        chain.get(1));
  }

  @Test
  void aCertificateWithoutItsEndLineIsNotValidPem() throws Exception {
    DevelopmentCertificates.ensure(dir);
    String ca = Files.readString(dir.resolve(DevelopmentCertificates.CA_CERT));
    Path cut = Files.writeString(dir.resolve("cut.pem"),
        ca.substring(0, ca.indexOf("-----END CERTIFICATE-----")));
    TlsConfigurationException e = assertThrows(TlsConfigurationException.class,
        () -> PemFiles.readCertificates(cut));
    assertTrue(e.getMessage().startsWith("certificate file " + cut + " is not valid PEM: "),
        e.getMessage());
  }

  @Test
  void validBase64ThatIsNoCertificateIsUnusable() throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.pem"),
        "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n");
    TlsConfigurationException e = assertThrows(TlsConfigurationException.class,
        () -> PemFiles.readCertificates(junk));
    assertTrue(e.getMessage().startsWith("certificate file " + junk
        + " holds an unusable certificate: "), e.getMessage());
  }
}
