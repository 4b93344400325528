package dev.lifeline.testing.internal;

import dev.lifeline.internal.faults.FaultStage;
import dev.lifeline.testing.ChaosSpec;
import dev.lifeline.testing.ChaosSpec.Mode;
import io.netty.channel.ChannelHandler;
import java.util.random.RandomGenerator;

/**
 * Hands each new client connection its {@link ChaosHandler}, following one {@link ChaosSpec}: the
 * {@link FaultStage} that {@link dev.lifeline.testing.Chaos} installs in a client's builder.
 *
 * <p>Each connection gets a freshly drawn cut point and mode until the spec's count is used up;
 * after that {@link #newHandlerOrNull()} returns null and connections run clean. A connection
 * that ends before its cut point gives the cut back (see {@link ChaosPlan}), so a spec with
 * {@code count=3} makes exactly three cuts however many connections it takes.
 *
 * <pre>{@code
 * ChaosInjector chaos = new ChaosInjector(ChaosSpec.parse("cut=8M..64M,mode=mix,count=3"),
 *     new SplittableRandom(seed));
 * // what the client does for each new connection, before TLS:
 * ChannelHandler handler = chaos.newHandlerOrNull();
 * if (handler != null) {
 *   pipeline.addFirst(FaultStage.NAME, handler);
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class ChaosInjector implements FaultStage {

  private final ChaosPlan plan;
  private final ChaosHandler.Listener listener =
      new ChaosHandler.Listener() {
        @Override
        public void onCut(Mode mode, long bytes) {
          plan.cutDone(mode);
        }

        @Override
        public void onEndedWithoutCut(long bytes) {
          plan.disarm();
        }
      };

  public ChaosInjector(ChaosSpec spec, RandomGenerator random) {
    this.plan = new ChaosPlan(spec, random);
  }

  public ChaosSpec spec() {
    return plan.spec();
  }

  /**
   * A handler for the next connection, to be placed at the head of its pipeline, or null when
   * the spec's count is used up. The handler belongs to that one connection.
   */
  @Override
  public ChannelHandler newHandlerOrNull() {
    final ChaosSpec.Cut cut = plan.armOrNull();
    return cut == null ? null : new ChaosHandler(cut.afterBytes(), cut.mode(), listener);
  }

  /** Cuts made so far, all modes. */
  public long cuts() {
    return plan.cuts();
  }

  /** Cuts made so far in one mode (RST, FIN or BLACKHOLE). */
  public long cuts(Mode mode) {
    return plan.cuts(mode);
  }

  /** Cuts still to come, counting armed ones as used; {@link ChaosSpec#UNLIMITED} if unlimited. */
  public long remaining() {
    return plan.remaining();
  }

  @Override
  public String toString() {
    return "ChaosInjector{" + plan + "}";
  }
}
