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
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
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
 * once under a directory and reused afterwards. EC P-256 keys, valid ten years, back-dated one day
 * so a client with a slightly late clock accepts them. Key files are written with mode 0600.
 */
final class DevelopmentCertificates {
  static final String CA_CERT = "ca.pem";
  static final String CA_KEY = "ca.key";
  static final String SERVER_CERT = "server.pem";
  static final String SERVER_KEY = "server.key";

  private static final Logger log = LoggerFactory.getLogger(DevelopmentCertificates.class);
  private static final Duration VALIDITY = Duration.ofDays(3650);

  private DevelopmentCertificates() {
  }

  /** Makes sure the files exist under {@code dir}, creating all of them if any is missing. */
  static synchronized void ensure(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(CA_CERT)) && Files.isRegularFile(dir.resolve(SERVER_CERT))
        && Files.isRegularFile(dir.resolve(SERVER_KEY))) {
      log.debug("reusing development certificates in {}", dir);
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

  private static void create(Path dir)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    SecureRandom random = new SecureRandom();
    Instant notBefore = Instant.now().minus(Duration.ofDays(1));
    Instant notAfter = notBefore.plus(VALIDITY);
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

    KeyPair serverKeys = newKeyPair(random);
    GeneralNames names = new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"),
        new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())});
    X509v3CertificateBuilder server = new JcaX509v3CertificateBuilder(caCert, serial(random),
        Date.from(notBefore), Date.from(notAfter), new X500Name("CN=localhost"),
        serverKeys.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
        .addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
        .addExtension(Extension.subjectAlternativeName, false, names)
        .addExtension(Extension.authorityKeyIdentifier, false,
            extensions.createAuthorityKeyIdentifier(caCert));
    X509Certificate serverCert = sign(server, caKeys);

    // The server certificate is written last: ensure() treats its presence as "all done".
    writeAtomically(dir.resolve(CA_KEY), pkcs8(caKeys), true);
    writeAtomically(dir.resolve(CA_CERT), pem(caCert), false);
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
