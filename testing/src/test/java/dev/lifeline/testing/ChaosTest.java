package dev.lifeline.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lifeline.LifelineClient;
import dev.lifeline.testing.ChaosSpec.Mode;
import org.junit.jupiter.api.Test;

/**
 * The public entry point alone. That an installed {@link Chaos} really cuts a client's
 * connections, and counts each cut once, is {@code ResumeUnderFaultsTest}'s assertion (its cuts
 * equal the session's reconnects).
 */
class ChaosTest {

  @Test
  void installReturnsTheBuilderToGoOnConfiguringIt() {
    final LifelineClient.Builder builder = LifelineClient.builder();
    assertSame(builder, Chaos.of(ChaosSpec.parse("cut=1M")).install(builder));
  }

  @Test
  void nothingIsCutBeforeAConnectionExists() {
    final ChaosSpec spec = ChaosSpec.parse("cut=8M..64M,mode=mix,count=3");
    final Chaos chaos = Chaos.of(spec, 42);
    chaos.install(LifelineClient.builder());
    assertEquals(spec, chaos.spec());
    assertEquals(0, chaos.cuts());
    assertEquals(0, chaos.cuts(Mode.RST));
    assertEquals(3, chaos.remaining());
    assertEquals(ChaosSpec.UNLIMITED, Chaos.of(ChaosSpec.parse("cut=1M")).remaining());
  }

  @Test
  void nullsAreRefusedByName() {
    assertEquals("spec",
        assertThrows(NullPointerException.class, () -> Chaos.of(null)).getMessage());
    assertEquals("spec",
        assertThrows(NullPointerException.class, () -> Chaos.of(null, 1)).getMessage());
    final Chaos chaos = Chaos.of(ChaosSpec.parse("cut=1M"));
    assertEquals("builder",
        assertThrows(NullPointerException.class, () -> chaos.install(null)).getMessage());
  }
}
