package dev.lifeline;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One TLS session ticket key: 80 bytes of secret material (16 bytes key name, 32 bytes HMAC key,
 * 32 bytes AES key, in that order) and the time it was created. The name travels in clear inside
 * every ticket so the server can find the key that decrypts it; the rest must stay secret.
 *
 * <pre>{@code
 * TicketKey key = TicketKey.generate(new SecureRandom(), Instant.now());
 * byte[] material = key.material(); // a copy, 80 bytes
 * }</pre>
 */
public final class TicketKey {
  public static final int NAME_BYTES = 16;
  public static final int HMAC_KEY_BYTES = 32;
  public static final int AES_KEY_BYTES = 32;
  public static final int MATERIAL_BYTES = NAME_BYTES + HMAC_KEY_BYTES + AES_KEY_BYTES;

  private final byte[] material; // never exposed, never modified
  private final Instant createdAt;

  private TicketKey(byte[] material, Instant createdAt) {
    this.material = material;
    this.createdAt = createdAt;
  }

  /** A key from existing material (copied), e.g. loaded by a {@link TicketKeyStore}. */
  public static TicketKey of(byte[] material, Instant createdAt) {
    Objects.requireNonNull(material, "material");
    Objects.requireNonNull(createdAt, "createdAt");
    if (material.length != MATERIAL_BYTES) {
      throw new IllegalArgumentException(
          "material: " + material.length + " bytes (expected: " + MATERIAL_BYTES + ")");
    }
    return new TicketKey(material.clone(), createdAt);
  }

  /** A fresh random key. */
  public static TicketKey generate(SecureRandom random, Instant createdAt) {
    byte[] material = new byte[MATERIAL_BYTES];
    random.nextBytes(material);
    return new TicketKey(material, Objects.requireNonNull(createdAt, "createdAt"));
  }

  /** A copy of all 80 bytes: name, HMAC key, AES key. */
  public byte[] material() {
    return material.clone();
  }

  /** A copy of the 16-byte key name. */
  public byte[] name() {
    return Arrays.copyOfRange(material, 0, NAME_BYTES);
  }

  /** A copy of the 32-byte HMAC key. */
  public byte[] hmacKey() {
    return Arrays.copyOfRange(material, NAME_BYTES, NAME_BYTES + HMAC_KEY_BYTES);
  }

  /** A copy of the 32-byte AES key. */
  public byte[] aesKey() {
    return Arrays.copyOfRange(material, NAME_BYTES + HMAC_KEY_BYTES, MATERIAL_BYTES);
  }

  public Instant createdAt() {
    return createdAt;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TicketKey && MessageDigest.isEqual(material, ((TicketKey) o).material)
        && createdAt.equals(((TicketKey) o).createdAt);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(name()) + createdAt.hashCode();
  }

  /** Shows the public key name only, never the secret keys. */
  @Override
  public String toString() {
    return "TicketKey{name=" + HexFormat.of().formatHex(material, 0, NAME_BYTES)
        + ", createdAt=" + createdAt + '}';
  }
}
