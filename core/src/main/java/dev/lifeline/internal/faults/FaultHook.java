package dev.lifeline.internal.faults;

import dev.lifeline.LifelineClient;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Gives a {@link LifelineClient.Builder} a {@link FaultStage} without a public builder method:
 * fault injection is a testing tool, and the library's public API names neither it nor Netty.
 * {@code LifelineClient} registers the setter when its class loads, which has happened by the
 * time anyone holds a builder (the only way to get one is {@code LifelineClient.builder()}).
 *
 * <p>Internal: called by {@code lifeline-testing} only.
 */
public final class FaultHook {

  /** Set once, by LifelineClient's static initializer. */
  private static volatile BiConsumer<LifelineClient.Builder, FaultStage> setter;

  private FaultHook() {}

  /** Called by LifelineClient alone, when its class loads. */
  public static synchronized void register(
      BiConsumer<LifelineClient.Builder, FaultStage> builderSetter) {
    Objects.requireNonNull(builderSetter, "builderSetter");
    if (setter != null) {
      throw new IllegalStateException("builderSetter: already registered (expected: once)");
    }
    setter = builderSetter;
  }

  /**
   * Makes every client {@code builder} builds from now on put a handler from {@code stage} first
   * in each new connection's pipeline.
   */
  public static void install(LifelineClient.Builder builder, FaultStage stage) {
    Objects.requireNonNull(builder, "builder");
    Objects.requireNonNull(stage, "stage");
    setter.accept(builder, stage);
  }
}
