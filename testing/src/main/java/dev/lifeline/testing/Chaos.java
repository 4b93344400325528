package dev.lifeline.testing;

import dev.lifeline.LifelineClient;
import dev.lifeline.internal.faults.FaultHook;
import dev.lifeline.testing.ChaosSpec.Mode;
import dev.lifeline.testing.internal.ChaosInjector;
import java.util.Objects;
import java.util.Random;

/**
 * Built-in fault injection for a {@link LifelineClient}, for demos and tests: the client cuts its
 * own connections as a {@link ChaosSpec} says, with no proxy and no other process. The cut is
 * made below TLS, so it can land anywhere, also in the middle of a TLS record or a frame. Never
 * use it in production.
 *
 * <pre>{@code
 * // seeded: the same cuts on every run
 * Chaos chaos = Chaos.of(ChaosSpec.parse("cut=8M..64M,mode=mix,count=3"), 42);
 * try (LifelineClient client = chaos.install(LifelineClient.builder())
 *     .server("localhost", 7443)
 *     .tls(tls)
 *     .build()) {
 *   // ... a transfer that must survive three cuts ...
 * }
 * assert chaos.cuts() == 3;
 * }</pre>
 *
 * <p>One instance is one budget: the spec's {@code count} is shared by every client built by a
 * builder it is installed in. Thread-safe.
 */
public final class Chaos {

  private final ChaosInjector injector;

  private Chaos(ChaosInjector injector) {
    this.injector = injector;
  }

  /** Cuts as {@code spec} says, at points drawn from an unseeded generator (new ones each run). */
  public static Chaos of(ChaosSpec spec) {
    return new Chaos(new ChaosInjector(Objects.requireNonNull(spec, "spec"), new Random()));
  }

  /** Cuts as {@code spec} says; the same seed gives the same cuts on every run. */
  public static Chaos of(ChaosSpec spec, long seed) {
    return new Chaos(new ChaosInjector(Objects.requireNonNull(spec, "spec"), new Random(seed)));
  }

  /**
   * Makes the clients {@code builder} builds from now on cut their connections as this says.
   *
   * @return {@code builder}, to go on configuring it
   */
  public LifelineClient.Builder install(LifelineClient.Builder builder) {
    FaultHook.install(builder, injector);
    return builder;
  }

  /** The spec this injection follows. */
  public ChaosSpec spec() {
    return injector.spec();
  }

  /** Connections cut so far, all modes. */
  public long cuts() {
    return injector.cuts();
  }

  /** Connections cut so far in one mode: RST, FIN or BLACKHOLE ({@link Mode#MIX} is always 0). */
  public long cuts(Mode mode) {
    return injector.cuts(mode);
  }

  /** Cuts still to come, pending ones counted as made; {@link ChaosSpec#UNLIMITED} if no count. */
  public long remaining() {
    return injector.remaining();
  }

  @Override
  public String toString() {
    return "Chaos{" + injector + "}";
  }
}
