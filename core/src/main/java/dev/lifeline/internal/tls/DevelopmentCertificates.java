package dev.lifeline.internal.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A development CA and a server certificate for {@code localhost} and {@code 127.0.0.1}, created
 * once under a directory and reused afterwards. EC P-256 keys, back-dated one day so a client with
 * a slightly late clock accepts them. Key files are written with mode 0600.
 *
 * <p>The CA is valid ten years; the server certificate {@value #SERVER_DAYS} days, the longest
 * lifetime public CAs may issue, and it is reissued by the same CA on a start when fewer than
 * {@value #RENEW_DAYS} days are left, so clients keep trusting {@code ca.pem}. The CA publishes a
 * signed, empty certificate revocation list {@code ca.crl} beside it, named in the server
 * certificate's CRL distribution point (a {@code file:} URI: a development CA is only trusted on
 * the machines its {@code ca.pem} was copied to), so revocation can be checked, e.g. with {@code
 * openssl verify -crl_check -CRLfile ca.crl -CAfile ca.pem server.pem}. (Found by the TLS scan in
 * {@code TlsScanTest}: a ten-year server certificate without revocation information.)
 */
final class DevelopmentCertificates {
  static final String CA_CERT = "ca.pem";
  static final String CA_KEY = "ca.key";
  static final String SERVER_CERT = "server.pem";
  static final String SERVER_KEY = "server.key";

  private static final Logger log = LoggerFactory.getLogger(DevelopmentCertificates.class);
  static final String CA_CRL = "ca.crl";
  static final int SERVER_DAYS = 397;
  static final int RENEW_DAYS = 30;
  private static final Duration CA_VALIDITY = Duration.ofDays(3650);

  private DevelopmentCertificates() {
  }

  /** Makes sure the files exist under {@code dir}, creating all of them if any is missing. */
  static synchronized void ensure(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(CA_CERT)) && Files.isRegularFile(dir.resolve(SERVER_CERT))
        && Files.isRegularFile(dir.resolve(SERVER_KEY))) {
      renewIfDue(dir, Instant.now());
      return;
    }
    Files.createDirectories(dir);
    try {
      create(dir);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot create development certificates in " + dir + ": " + e, e);
    }
    log.info("created development CA and server certificate for localhost/127.0.0.1 in {}", dir);
  }

  /**
   * Reissues the server certificate with the same CA when it expires within {@value #RENEW_DAYS}
   * days of {@code now} (and the CA key is there to sign it); otherwise leaves everything as it
   * is. Returns whether it renewed.
   */
  static synchronized boolean renewIfDue(Path dir, Instant now) throws IOException {
    X509Certificate current = PemFiles.readCertificates(dir.resolve(SERVER_CERT)).get(0);
    Instant renewAt = current.getNotAfter().toInstant().minus(Duration.ofDays(RENEW_DAYS));
    if (now.isBefore(renewAt) || !Files.isRegularFile(dir.resolve(CA_KEY))) {
      log.debug("reusing development certificates in {}", dir);
      return false;
    }
    try {
      X509Certificate caCert = PemFiles.readCertificates(dir.resolve(CA_CERT)).get(0);
      KeyPair caKeys = new KeyPair(caCert.getPublicKey(),
          PemFiles.readPrivateKey(dir.resolve(CA_KEY)));
      issueServer(dir, caCert, caKeys, new SecureRandom());
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot renew the development server certificate in " + dir + ": "
          + e, e);
    }
    log.info("renewed the development server certificate in {} (the old one expires {})", dir,
        current.getNotAfter().toInstant());
    return true;
  }

  private static void create(Path dir)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    SecureRandom random = new SecureRandom();
    Instant notBefore = Instant.now().minus(Duration.ofDays(1));
    Instant notAfter = notBefore.plus(CA_VALIDITY);
    JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();

    KeyPair caKeys = newKeyPair(random);
    X500Name caName = new X500Name("CN=Lifeline development CA");
    X509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(caName, serial(random),
        Date.from(notBefore), Date.from(notAfter), caName, caKeys.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
        .addExtension(Extension.keyUsage, true,
            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
        .addExtension(Extension.subjectKeyIdentifier, false,
            extensions.createSubjectKeyIdentifier(caKeys.getPublic()));
    X509Certificate caCert = sign(ca, caKeys);

    // The server certificate is written last: ensure() treats its presence as "all done".
    writeAtomically(dir.resolve(CA_KEY), pkcs8(caKeys), true);
    writeAtomically(dir.resolve(CA_CERT), pem(caCert), false);
    issueServer(dir, caCert, caKeys, random);
  }

  /** Writes a fresh CRL, then a new server key and certificate signed by the CA. */
  private static void issueServer(Path dir, X509Certificate caCert, KeyPair caKeys,
      SecureRandom random) throws IOException, GeneralSecurityException, OperatorCreationException {
    Instant notBefore = Instant.now().minus(Duration.ofDays(1));
    Instant notAfter = notBefore.plus(Duration.ofDays(SERVER_DAYS));
    JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
    Path crl = dir.toAbsolutePath().resolve(CA_CRL);
    X509v2CRLBuilder crlBuilder = new X509v2CRLBuilder(
        new JcaX509CertificateHolder(caCert).getSubject(), Date.from(notBefore))
        .setNextUpdate(caCert.getNotAfter())
        .addExtension(Extension.authorityKeyIdentifier, false,
            extensions.createAuthorityKeyIdentifier(caCert));
    X509CRLHolder crlHolder = crlBuilder.build(
        new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate()));
    writeAtomically(crl, pem(crlHolder), false);

    KeyPair serverKeys = newKeyPair(random);
    GeneralNames names = new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"),
        new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())});
    DistributionPoint crlPoint = new DistributionPoint(new DistributionPointName(
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier,
            crl.toUri().toString()))), null, null);
    X509v3CertificateBuilder server = new JcaX509v3CertificateBuilder(caCert, serial(random),
        Date.from(notBefore), Date.from(notAfter), new X500Name("CN=localhost"),
        serverKeys.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
        .addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
        .addExtension(Extension.subjectAlternativeName, false, names)
        .addExtension(Extension.authorityKeyIdentifier, false,
            extensions.createAuthorityKeyIdentifier(caCert))
        .addExtension(Extension.cRLDistributionPoints, false,
            new CRLDistPoint(new DistributionPoint[] {crlPoint}));
    X509Certificate serverCert = sign(server, caKeys);
    writeAtomically(dir.resolve(SERVER_KEY), pkcs8(serverKeys), true);
    writeAtomically(dir.resolve(SERVER_CERT), pem(serverCert), false);
  }

  private static KeyPair newKeyPair(SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), random);
    return generator.generateKeyPair();
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    byte[] der = builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
        .build(issuer.getPrivate())).getEncoded();
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(der));
  }

  private static String pem(Object object) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    }
    return out.toString();
  }

  private static String pkcs8(KeyPair keys) throws IOException {
    return pem(new JcaPKCS8Generator(keys.getPrivate(), null));
  }

  private static void writeAtomically(Path file, String text, boolean secret) throws IOException {
    Path temp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp",
        PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")));
    try {
      Files.writeString(temp, text, StandardCharsets.US_ASCII);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
