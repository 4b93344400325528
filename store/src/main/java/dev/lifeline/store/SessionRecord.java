package dev.lifeline.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a {@link CheckpointStore} keeps for one session: its id, the secret that proves a resume,
 * the identity that created it, its activity time, the last durable {@link Checkpoint} of the
 * stream it receives, and small opaque attributes the application attaches (for a file transfer:
 * the name, size and modification time of the file).
 *
 * <p>On a server the secret is the SHA-256 hash of the resume token (the token itself is never
 * stored); on a client it is the token. Records are immutable; use the {@code with*} methods for a
 * changed copy.
 *
 * <pre>{@code
 * SessionRecord record = SessionRecord.builder("s-1f2e")
 *     .secret(tokenHash)
 *     .identity("CN=alice")
 *     .lastActiveMillis(clock.millis())
 *     .build();
 * store.put(record).join();
 * }</pre>
 */
public final class SessionRecord {

  /** The longest id a store accepts. */
  public static final int MAX_ID_LENGTH = 128;
  /** The largest secret a store accepts. */
  public static final int MAX_SECRET_BYTES = 256;
  /** The largest attributes a store accepts. */
  public static final int MAX_ATTRIBUTES_BYTES = 64 * 1024;

  private final String id;
  private final byte[] secret;
  private final String identity;
  private final long createdAtMillis;
  private final long lastActiveMillis;
  private final Checkpoint checkpoint;
  private final byte[] attributes;

  private SessionRecord(Builder b) {
    this.id = b.id;
    this.secret = b.secret;
    this.identity = b.identity;
    this.createdAtMillis = b.createdAtMillis;
    this.lastActiveMillis = b.lastActiveMillis;
    this.checkpoint = b.checkpoint;
    this.attributes = b.attributes;
  }

  /** Starts a record with the given id: 1 to 128 printable ASCII characters. */
  public static Builder builder(String id) {
    return new Builder(id);
  }

  public String id() {
    return id;
  }

  /** A copy of the secret: the token hash on a server, the token on a client. */
  public byte[] secret() {
    return secret.clone();
  }

  /** The identity (principal) that created the session; empty when anonymous. */
  public String identity() {
    return identity;
  }

  public long createdAtMillis() {
    return createdAtMillis;
  }

  /** The last time the session was active; a store expires it {@code ttl} after this. */
  public long lastActiveMillis() {
    return lastActiveMillis;
  }

  /** The last durable checkpoint of the stream this side receives. */
  public Checkpoint checkpoint() {
    return checkpoint;
  }

  /** A copy of the application attributes. */
  public byte[] attributes() {
    return attributes.clone();
  }

  /** A builder initialised from this record. */
  public Builder toBuilder() {
    return new Builder(id)
        .secret(secret)
        .identity(identity)
        .createdAtMillis(createdAtMillis)
        .lastActiveMillis(lastActiveMillis)
        .checkpoint(checkpoint)
        .attributes(attributes);
  }

  public SessionRecord withCheckpoint(Checkpoint checkpoint, long nowMillis) {
    return toBuilder().checkpoint(checkpoint).lastActiveMillis(nowMillis).build();
  }

  public SessionRecord withSecret(byte[] secret, long nowMillis) {
    return toBuilder().secret(secret).lastActiveMillis(nowMillis).build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionRecord r
        && id.equals(r.id)
        && Arrays.equals(secret, r.secret)
        && identity.equals(r.identity)
        && createdAtMillis == r.createdAtMillis
        && lastActiveMillis == r.lastActiveMillis
        && checkpoint.equals(r.checkpoint)
        && Arrays.equals(attributes, r.attributes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, identity, createdAtMillis, lastActiveMillis, checkpoint)
        + 31 * Arrays.hashCode(secret) + 17 * Arrays.hashCode(attributes);
  }

  /** Never prints the secret. */
  @Override
  public String toString() {
    return "SessionRecord{id=" + id + ", identity=" + identity + ", createdAt=" + createdAtMillis
        + ", lastActive=" + lastActiveMillis + ", " + checkpoint + ", attributes="
        + attributes.length + "B}";
  }

  /** Builds a {@link SessionRecord}; validation happens in {@link #build()}. */
  public static final class Builder {
    private final String id;
    private byte[] secret = new byte[0];
    private String identity = "";
    private long createdAtMillis;
    private long lastActiveMillis;
    private Checkpoint checkpoint = Checkpoint.NONE;
    private byte[] attributes = new byte[0];

    private Builder(String id) {
      this.id = Objects.requireNonNull(id, "id");
    }

    public Builder secret(byte[] secret) {
      this.secret = secret.clone();
      return this;
    }

    public Builder identity(String identity) {
      this.identity = Objects.requireNonNull(identity, "identity");
      return this;
    }

    public Builder createdAtMillis(long createdAtMillis) {
      this.createdAtMillis = createdAtMillis;
      return this;
    }

    public Builder lastActiveMillis(long lastActiveMillis) {
      this.lastActiveMillis = lastActiveMillis;
      return this;
    }

    public Builder checkpoint(Checkpoint checkpoint) {
      this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
      return this;
    }

    public Builder attributes(byte[] attributes) {
      this.attributes = attributes.clone();
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the field that is out of bounds
     */
    public SessionRecord build() {
      validateId(id);
      if (secret.length > MAX_SECRET_BYTES) {
        throw new IllegalArgumentException(
            "secret: " + secret.length + " bytes (expected: <= " + MAX_SECRET_BYTES + ")");
      }
      if (attributes.length > MAX_ATTRIBUTES_BYTES) {
        throw new IllegalArgumentException(
            "attributes: " + attributes.length + " bytes (expected: <= " + MAX_ATTRIBUTES_BYTES
                + ")");
      }
      if (identity.length() > 1024) {
        throw new IllegalArgumentException(
            "identity: " + identity.length() + " chars (expected: <= 1024)");
      }
      return new SessionRecord(this);
    }
  }

  /**
   * Checks that {@code id} is 1 to {@link #MAX_ID_LENGTH} printable ASCII characters.
   *
   * @throws IllegalArgumentException if it is not
   */
  public static void validateId(String id) {
    if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
      throw new IllegalArgumentException(
          "id: " + id.length() + " chars (expected: 1.." + MAX_ID_LENGTH + ")");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new IllegalArgumentException(
            "id: character " + (int) c + " at " + i + " (expected: printable ASCII)");
      }
    }
  }
}
