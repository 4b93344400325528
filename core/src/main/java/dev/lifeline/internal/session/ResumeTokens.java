package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.internal.protocol.FrameDescriptor;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * Session ids and resume tokens, and the server-side secret that verifies them.
 *
 * <p>The server never stores a token, only SHA-256 hashes, in a 96-byte secret:
 *
 * <pre>
 *  +-------------------+-------------------+-------------------+
 *  | current (32)      | pending (32)      | retired (32)      |
 *  +-------------------+-------------------+-------------------+
 * </pre>
 *
 * {@code current} is the token issued last. {@code pending} is the token the client presented on
 * the last resume: it stays valid until the client CONFIRMs that it stored the new one, so a cut
 * in the middle of the resume exchange does not lock the client out. {@code retired} is the token
 * before that, kept to tell "already used" from "never valid". A zero slot is empty. All
 * comparisons are constant time.
 */
public final class ResumeTokens {
  private static final int HASH = 32;
  private static final byte[] EMPTY = new byte[HASH];

  private final SecureRandom random;

  public ResumeTokens(SecureRandom random) {
    this.random = random;
  }

  /** A new session id: 128 random bits, base64url without padding (22 characters). */
  public String newSessionId() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** A new 256-bit token. */
  public byte[] newToken() {
    byte[] t = new byte[FrameDescriptor.TOKEN_BYTES];
    random.nextBytes(t);
    return t;
  }

  /** The secret for a session just opened with {@code token}. */
  public static byte[] initialSecret(byte[] token) {
    return secret(hash(token), EMPTY, EMPTY);
  }

  /** How a presented token relates to a secret. */
  public enum Match {
    CURRENT, PENDING, RETIRED, NONE;

    /** The refusal code for a token that does not open the session. */
    public ErrorCode refusal() {
      return this == RETIRED ? ErrorCode.TOKEN_REUSED : ErrorCode.INVALID_TOKEN;
    }
  }

  /** Compares {@code token} with every slot in constant time. */
  public static Match match(byte[] secret, byte[] token) {
    byte[] h = hash(token);
    boolean current = MessageDigest.isEqual(h, slot(secret, 0));
    boolean pending = !isEmpty(slot(secret, 1)) & MessageDigest.isEqual(h, slot(secret, 1));
    boolean retired = !isEmpty(slot(secret, 2)) & MessageDigest.isEqual(h, slot(secret, 2));
    return current ? Match.CURRENT : pending ? Match.PENDING : retired ? Match.RETIRED : Match.NONE;
  }

  /**
   * The secret after a successful resume with a token that matched {@code how}, issuing {@code
   * newToken}. The presented token becomes pending until the client confirms.
   */
  public static byte[] afterResume(byte[] secret, Match how, byte[] presented, byte[] newToken) {
    byte[] retired = how == Match.CURRENT && !isEmpty(slot(secret, 1))
        ? slot(secret, 1) : slot(secret, 2);
    return secret(hash(newToken), hash(presented), retired);
  }

  /** The secret after the client confirmed it stored the current token. */
  public static byte[] afterConfirm(byte[] secret) {
    if (isEmpty(slot(secret, 1))) {
      return secret;
    }
    return secret(slot(secret, 0), EMPTY, slot(secret, 1));
  }

  /**
   * SHA-256 of {@code token}. Every resume hashes three tokens; a clone of one prototype digest
   * skips the provider lookup and reflective construction of {@code MessageDigest.getInstance}
   * (which also showed up in the resume storm's JIT and allocation profiles).
   */
  static byte[] hash(byte[] token) {
    return newSha256().digest(token);
  }

  private static final MessageDigest SHA_256 = prototype();

  private static MessageDigest prototype() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is required of every JDK", e);
    }
  }

  private static MessageDigest newSha256() {
    try {
      return (MessageDigest) SHA_256.clone(); // the prototype is never updated: always fresh
    } catch (CloneNotSupportedException e) {
      return prototype(); // a provider whose digest cannot be cloned: look it up each time
    }
  }

  private static byte[] slot(byte[] secret, int i) {
    if (secret.length != 3 * HASH) {
      return EMPTY;
    }
    return Arrays.copyOfRange(secret, i * HASH, (i + 1) * HASH);
  }

  private static boolean isEmpty(byte[] slot) {
    return MessageDigest.isEqual(slot, EMPTY);
  }

  private static byte[] secret(byte[] current, byte[] pending, byte[] retired) {
    byte[] s = new byte[3 * HASH];
    System.arraycopy(current, 0, s, 0, HASH);
    System.arraycopy(pending, 0, s, HASH, HASH);
    System.arraycopy(retired, 0, s, 2 * HASH, HASH);
    return s;
  }
}
