package dev.lifeline.testing.internal;

import dev.lifeline.testing.ChaosSpec;
import dev.lifeline.testing.ChaosSpec.Mode;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The running state of a {@link ChaosSpec}: draws one cut per connection and keeps the spec's
 * {@code count} honest. Shared by the client's {@link ChaosInjector} and the test proxy so both
 * mean the same thing by "N cuts".
 *
 * <p>A cut is <em>armed</em> when a connection is given one and <em>done</em> when it happened. A
 * connection that ends before its cut point (the transfer finished first) {@linkplain #disarm()
 * gives the cut back}, so {@code count=3} means three real cuts, not three connections. Armed cuts
 * count against the budget while they are pending, so concurrent connections can never exceed it.
 *
 * <p>Thread-safe: connections are armed from any thread and report from their event loops.
 */
public final class ChaosPlan {

  private static final Mode[] CONCRETE = {Mode.RST, Mode.FIN, Mode.BLACKHOLE};

  private final ChaosSpec spec;

  /** Guarded by this: RandomGenerator implementations need not be thread-safe. */
  private final RandomGenerator random;

  /** Guarded by this. Cuts handed out whose connection has neither cut nor ended yet. */
  private long armed;

  /** Guarded by this. Indexed by {@link Mode#ordinal()}; MIX stays 0. */
  private final long[] done = new long[Mode.values().length];

  public ChaosPlan(ChaosSpec spec, RandomGenerator random) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.random = Objects.requireNonNull(random, "random");
  }

  public ChaosSpec spec() {
    return spec;
  }

  /** Draws and arms the next cut, or returns null when the spec's count is used up. */
  public synchronized ChaosSpec.Cut armOrNull() {
    if (!spec.isUnlimited() && totalDone() + armed >= spec.count()) {
      return null;
    }
    armed++;
    return spec.nextCut(random);
  }

  /** An armed cut happened. */
  public synchronized void cutDone(Mode mode) {
    checkArmed();
    if (mode == Mode.MIX) {
      throw new IllegalArgumentException("mode: MIX (expected: RST, FIN or BLACKHOLE)");
    }
    armed--;
    done[mode.ordinal()]++;
  }

  /** An armed connection ended before its cut point; the cut goes back to the budget. */
  public synchronized void disarm() {
    checkArmed();
    armed--;
  }

  /** Cuts done so far, all modes. */
  public synchronized long cuts() {
    return totalDone();
  }

  /** Cuts done so far in one concrete mode; 0 for MIX. */
  public synchronized long cuts(Mode mode) {
    return done[mode.ordinal()];
  }

  /** Cuts armed but neither done nor given back. */
  public synchronized long armed() {
    return armed;
  }

  /** Cuts that may still be armed; {@link ChaosSpec#UNLIMITED} for an unlimited spec. */
  public synchronized long remaining() {
    return spec.isUnlimited() ? ChaosSpec.UNLIMITED : spec.count() - totalDone() - armed;
  }

  private long totalDone() {
    long sum = 0;
    for (Mode mode : CONCRETE) {
      sum += done[mode.ordinal()];
    }
    return sum;
  }

  private void checkArmed() {
    if (armed == 0) {
      throw new IllegalStateException("no cut is armed");
    }
  }

  @Override
  public synchronized String toString() {
    return "ChaosPlan{" + spec + ", done=" + totalDone() + ", armed=" + armed + "}";
  }
}
