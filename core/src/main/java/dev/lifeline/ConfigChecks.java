package dev.lifeline;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Validation shared by the configuration builders; messages read "name: value (expected: ...)". */
final class ConfigChecks {
  static final String TLS13 = "TLSv1.3";
  static final String TLS12 = "TLSv1.2";
  static final List<String> DEFAULT_PROTOCOLS = List.of(TLS13, TLS12);

  private ConfigChecks() {
  }

  static Duration positive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isZero() || value.isNegative()) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
    return value;
  }

  static int positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
    return value;
  }

  static int notNegative(String name, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
    }
    return value;
  }

  static long atLeast(String name, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
    }
    return value;
  }

  static int inRange(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: " + min + ".." + max + ")");
    }
    return value;
  }

  /** The largest message size a frame can carry: the frame limit less version, type and seq. */
  static final int MAX_MESSAGE_SIZE = dev.lifeline.internal.protocol.FrameDescriptor
      .maxMessageSize(dev.lifeline.internal.protocol.FrameDescriptor.MAX_MAX_FRAME_SIZE);

  static List<String> protocols(List<String> protocols) {
    Objects.requireNonNull(protocols, "protocols");
    Set<String> distinct = new LinkedHashSet<>(protocols);
    if (distinct.isEmpty() || !DEFAULT_PROTOCOLS.containsAll(distinct)) {
      throw new IllegalArgumentException(
          "protocols: " + protocols + " (expected: one or both of " + DEFAULT_PROTOCOLS + ")");
    }
    return List.copyOf(distinct);
  }

  /**
   * Key-exchange group names in any accepted spelling, turned into registry names; duplicates
   * are dropped, the order (of preference) is kept.
   */
  static List<String> keyExchangeGroups(List<String> groups) {
    Objects.requireNonNull(groups, "keyExchangeGroups");
    Set<String> distinct = new LinkedHashSet<>();
    for (String name : groups) {
      String canonical = name == null ? null
          : dev.lifeline.internal.tls.KeyExchangeGroups.canonical(name);
      if (canonical == null) {
        throw new IllegalArgumentException("keyExchangeGroups: unknown group '" + name
            + "' (expected: some of "
            + dev.lifeline.internal.tls.KeyExchangeGroups.known() + ")");
      }
      distinct.add(canonical);
    }
    if (distinct.isEmpty()) {
      throw new IllegalArgumentException("keyExchangeGroups: none given (expected: at least one of "
          + dev.lifeline.internal.tls.KeyExchangeGroups.known() + ")");
    }
    return List.copyOf(distinct);
  }

  /**
   * A TLS 1.2 handshake needs an elliptic-curve group: a list of TLS 1.3-only groups with TLS 1.2
   * enabled would fail every TLS 1.2 handshake, so it is refused when the configuration is built.
   */
  static void keyExchangeGroupsFitProtocols(List<String> groups, List<String> protocols) {
    if (!groups.isEmpty() && protocols.contains(TLS12)
        && !dev.lifeline.internal.tls.KeyExchangeGroups.usableWithTls12(groups)) {
      throw new IllegalStateException("keyExchangeGroups: " + groups
          + " has no group TLS 1.2 can use (expected: also one of x25519, secp256r1, secp384r1,"
          + " secp521r1, or protocols(\"TLSv1.3\") only)");
    }
  }

  static void requireSet(String name, Object value) {
    if (value == null) {
      throw new IllegalStateException(name + ": not set (expected: a value)");
    }
  }
}
