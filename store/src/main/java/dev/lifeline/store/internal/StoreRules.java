package dev.lifeline.store.internal;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.UnknownSessionException;
import java.time.Duration;

/** The rules every store applies the same way: expiry and the monotonic checkpoint rule. */
public final class StoreRules {

  /** Used when a builder is not given a time to live. */
  public static final Duration DEFAULT_TTL = Duration.ofDays(1);

  private StoreRules() {}

  /** True once {@code ttlMillis} have passed since the record was last active. */
  public static boolean isExpired(SessionRecord record, long ttlMillis, long nowMillis) {
    return nowMillis - record.lastActiveMillis() >= ttlMillis;
  }

  /**
   * The record that results from committing {@code checkpoint} to {@code current} at {@code
   * nowMillis}.
   *
   * @param current the live (not expired) record, or null when there is none
   * @throws UnknownSessionException if {@code current} is null
   * @throws IllegalArgumentException if the checkpoint is older than the stored one
   */
  public static SessionRecord commit(
      SessionRecord current, String id, Checkpoint checkpoint, long nowMillis)
      throws UnknownSessionException {
    if (current == null) {
      throw new UnknownSessionException(id);
    }
    long stored = current.checkpoint().position();
    if (checkpoint.position() < stored) {
      throw new IllegalArgumentException("checkpoint position of session " + id + ": "
          + checkpoint.position() + " (expected: >= " + stored + ", the stored position)");
    }
    return current.withCheckpoint(checkpoint, nowMillis);
  }

  /** Checks a time to live given to a builder. */
  public static Duration checkTtl(Duration ttl) {
    return checkPositive("ttl", ttl);
  }

  /** Checks a builder's duration that must be above zero; the error names the option. */
  public static Duration checkPositive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
    }
    return d;
  }

  /** Checks a builder's duration that may be zero but not negative; the error names the option. */
  public static Duration checkNotNegative(String name, Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + ": " + d + " (expected: >= 0)");
    }
    return d;
  }
}
