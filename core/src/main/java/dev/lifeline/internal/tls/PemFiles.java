package dev.lifeline.internal.tls;

import dev.lifeline.TlsConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads PEM certificates and private keys, with errors that name the file, and checks that a key
 * belongs to a certificate (what OpenSSL calls SSL_CTX_check_private_key).
 */
final class PemFiles {
  private PemFiles() {
  }

  private static final String BEGIN_CERTIFICATE = "-----BEGIN CERTIFICATE-----";
  private static final String END_CERTIFICATE = "-----END CERTIFICATE-----";

  /**
   * All certificates in {@code file}, in file order (for a chain: leaf first); other PEM blocks
   * are skipped. Read with the JDK alone: a client reads its trusted CA on every start, and
   * Bouncy Castle's parser cost a fresh JVM about 60 ms of CPU more for it (docs/benchmarks.md,
   * "Start-up").
   */
  static List<X509Certificate> readCertificates(Path file) throws TlsConfigurationException {
    String text = new String(readFile(file, "certificate"), StandardCharsets.US_ASCII);
    List<X509Certificate> certificates = new ArrayList<>();
    for (int begin = text.indexOf(BEGIN_CERTIFICATE); begin >= 0;
        begin = text.indexOf(BEGIN_CERTIFICATE, begin)) {
      int end = text.indexOf(END_CERTIFICATE, begin);
      if (end < 0) {
        throw new TlsConfigurationException("certificate file " + file
            + " is not valid PEM: " + END_CERTIFICATE + " not found");
      }
      byte[] der;
      try {
        der = Base64.getDecoder().decode(
            text.substring(begin + BEGIN_CERTIFICATE.length(), end).replaceAll("\\s", ""));
      } catch (IllegalArgumentException e) {
        throw new TlsConfigurationException(
            "certificate file " + file + " is not valid PEM: " + e.getMessage(), e);
      }
      certificates.add(toX509(der, file));
      begin = end + END_CERTIFICATE.length();
    }
    if (certificates.isEmpty()) {
      throw new TlsConfigurationException(
          "certificate file " + file + " contains no PEM certificate (expected: -----BEGIN CERTIFICATE-----)");
    }
    return List.copyOf(certificates);
  }

  /** The one private key in {@code file}: PKCS#8, or the traditional PKCS#1 (RSA) / SEC1 (EC). */
  static PrivateKey readPrivateKey(Path file) throws TlsConfigurationException {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    for (Object object : readPemObjects(file, "private key")) {
      try {
        if (object instanceof PrivateKeyInfo) {
          return converter.getPrivateKey((PrivateKeyInfo) object);
        }
        if (object instanceof PEMKeyPair) {
          return converter.getKeyPair((PEMKeyPair) object).getPrivate();
        }
      } catch (IOException e) {
        throw new TlsConfigurationException(
            "private key file " + file + " holds a key that cannot be used: " + e.getMessage(), e);
      }
      if (object instanceof PEMEncryptedKeyPair || object instanceof PKCS8EncryptedPrivateKeyInfo) {
        throw new TlsConfigurationException("private key file " + file
            + " is encrypted (expected: an unencrypted PEM key, protected by file permissions)");
      }
    }
    throw new TlsConfigurationException("private key file " + file
        + " contains no PEM private key (expected: -----BEGIN PRIVATE KEY-----)");
  }

  /**
   * Proves that {@code key} belongs to {@code certificate} by signing a random challenge with the
   * key and verifying it with the certificate's public key.
   */
  static void checkKeyMatches(PrivateKey key, X509Certificate certificate, Path keyFile,
      Path certificateFile) throws TlsConfigurationException {
    String mismatch = "private key " + keyFile + " does not match certificate " + certificateFile;
    if (!key.getAlgorithm().equals(certificate.getPublicKey().getAlgorithm())) {
      throw new TlsConfigurationException(mismatch + " (key algorithm " + key.getAlgorithm()
          + ", certificate key algorithm " + certificate.getPublicKey().getAlgorithm() + ")");
    }
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    try {
      String algorithm = signatureAlgorithm(key);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(challenge);
      if (!verifier.verify(signature)) {
        throw new TlsConfigurationException(mismatch);
      }
    } catch (GeneralSecurityException e) {
      throw new TlsConfigurationException(mismatch + " (" + e.getMessage() + ")", e);
    }
  }

  private static String signatureAlgorithm(PrivateKey key) throws TlsConfigurationException {
    switch (key.getAlgorithm()) {
      case "RSA":
        return "SHA256withRSA";
      case "EC":
        return "SHA256withECDSA";
      case "Ed25519":
      case "Ed448":
      case "EdDSA":
        return key.getAlgorithm();
      default:
        throw new TlsConfigurationException(
            "unsupported private key algorithm " + key.getAlgorithm() + " (expected: RSA, EC, EdDSA)");
    }
  }

  private static byte[] readFile(Path file, String what) throws TlsConfigurationException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TlsConfigurationException(what + " file " + file + " does not exist");
    } catch (AccessDeniedException e) {
      throw new TlsConfigurationException(what + " file " + file + " is not readable (permission denied)");
    } catch (IOException e) {
      throw new TlsConfigurationException("cannot read " + what + " file " + file + ": " + e, e);
    }
  }

  private static List<Object> readPemObjects(Path file, String what)
      throws TlsConfigurationException {
    byte[] bytes = readFile(file, what);
    List<Object> objects = new ArrayList<>();
    try (Reader reader = new java.io.StringReader(new String(bytes, StandardCharsets.US_ASCII));
        PEMParser parser = new PEMParser(reader)) {
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        objects.add(object);
      }
    } catch (IOException | RuntimeException e) {
      throw new TlsConfigurationException(
          what + " file " + file + " is not valid PEM: " + e.getMessage(), e);
    }
    return objects;
  }

  private static X509Certificate toX509(byte[] der, Path file) throws TlsConfigurationException {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (GeneralSecurityException e) {
      throw new TlsConfigurationException(
          "certificate file " + file + " holds an unusable certificate: " + e.getMessage(), e);
    }
  }
}
