package dev.lifeline.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.testing.ChaosSpec.Cut;
import dev.lifeline.testing.ChaosSpec.Mode;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChaosSpecTest {

  private static final long K = 1024;
  private static final long M = K * K;
  private static final long G = M * K;

  @Test
  void parsesFullSpec() {
    final ChaosSpec spec = ChaosSpec.parse("cut=8M..1G,mode=mix,count=5");
    assertEquals(8 * M, spec.minBytes());
    assertEquals(G, spec.maxBytes());
    assertEquals(Mode.MIX, spec.mode());
    assertEquals(5, spec.count());
    assertFalse(spec.isUnlimited());
  }

  @Test
  void defaultsAreRstAndUnlimited() {
    final ChaosSpec spec = ChaosSpec.parse("cut=512K..2M");
    assertEquals(Mode.RST, spec.mode());
    assertEquals(ChaosSpec.UNLIMITED, spec.count());
    assertTrue(spec.isUnlimited());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "cut=100          | 100           | 100",
        "cut=0..1         | 0             | 1",
        "cut=512K         | 524288        | 524288",
        "cut=1k..2KiB     | 1024          | 2048",
        "cut=3MiB..4mib   | 3145728       | 4194304",
        "cut=1G..1GiB     | 1073741824    | 1073741824",
        "cut=2T           | 2199023255552 | 2199023255552",
        "cut=7B..9b       | 7             | 9",
        "' CUT = 1M .. 2M ' | 1048576     | 2097152",
      })
  void parsesSizes(String text, long min, long max) {
    final ChaosSpec spec = ChaosSpec.parse(text);
    assertEquals(min, spec.minBytes(), text);
    assertEquals(max, spec.maxBytes(), text);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {"rst | RST", "FIN | FIN", "BlackHole | BLACKHOLE", "mix | MIX"})
  void parsesModesCaseInsensitively(String word, Mode expected) {
    assertEquals(expected, ChaosSpec.parse("cut=1M,mode=" + word).mode());
  }

  @Test
  void optionsMayComeInAnyOrder() {
    assertEquals(
        ChaosSpec.parse("cut=1M..2M,mode=fin,count=3"),
        ChaosSpec.parse("count=3, mode=fin ,cut=1M..2M"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "``                               | empty",
        "`   `                            | empty",
        "cut=9..3                         | MIN greater than MAX",
        "cut=0                            | MAX is 0",
        "cut=0..0                         | MAX is 0",
        "cut=-5..9                        | size \"-5\" is negative",
        "cut=5..-9                        | size \"-9\" is negative",
        "cut=                             | empty size",
        "cut=8M..                         | empty size",
        "cut=..8M                         | empty size",
        "cut=1..2..3                      | \"1..2..3\" is not MIN..MAX",
        "cut=1.5M                         | size \"1.5M\" is not a whole number",
        "cut=8X                           | unknown unit \"X\" in size \"8X\"",
        "cut=8MB                          | unknown unit \"MB\"",
        "cut=99999999999999999999         | is too large",
        "cut=8388608T                     | is too large",
        "cut=9223372036854775807..8E      | unknown unit \"E\"",
        "mode=rst                         | missing cut=MIN..MAX",
        "cut=1M,mode=drop                 | unknown mode \"drop\"",
        "cut=1M,mode=                     | unknown mode \"\"",
        "cut=1M,count=0                   | count is 0",
        "cut=1M,count=-1                  | count \"-1\" is negative",
        "cut=1M,count=two                 | count \"two\" is not a whole number",
        "cut=1M,count=                    | count \"\" is not a whole number",
        "cut=1M,count=1K                  | count \"1K\" is not a whole number",
        "cut=1M,count=99999999999999999999 | is too large",
        "cut=1M,speed=3                   | unknown key \"speed\"",
        "cut=1M,                          | empty option",
        "cut=1M,,mode=fin                 | empty option",
        ",cut=1M                          | empty option",
        "cut=1M,fin                       | \"fin\" is not key=value",
        "cut=1M,cut=2M                    | duplicate key \"cut\"",
        "cut=1M,mode=rst,MODE=fin         | duplicate key \"mode\"",
        "cut=1M,count=1,count=2           | duplicate key \"count\"",
      })
  void rejectsBadSpecsNamingTheCulprit(String text, String problem) {
    final IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ChaosSpec.parse(text));
    final String expectedStart = "chaos: \"" + text + "\": ";
    assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
    assertTrue(
        e.getMessage().endsWith(
            "(expected: cut=MIN..MAX[,mode=rst|fin|blackhole|mix][,count=N])"),
        e.getMessage());
  }

  @Test
  void exactErrorMessageForReversedRange() {
    final IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ChaosSpec.parse("cut=9..3"));
    assertEquals(
        "chaos: \"cut=9..3\": MIN greater than MAX"
            + " (expected: cut=MIN..MAX[,mode=rst|fin|blackhole|mix][,count=N])",
        e.getMessage());
  }

  @Test
  void nullSpecIsRefused() {
    assertThrows(NullPointerException.class, () -> ChaosSpec.parse(null));
  }

  @Test
  void largestSizeParses() {
    assertEquals(Long.MAX_VALUE, ChaosSpec.parse("cut=9223372036854775807").maxBytes());
    assertEquals(8388607 * (1L << 40), ChaosSpec.parse("cut=8388607T").maxBytes());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "cut=8M..1G,mode=mix,count=5 | cut=8M..1G,mode=mix,count=5",
        "cut=100                     | cut=100,mode=rst",
        "cut=1024..1025              | cut=1K..1025,mode=rst",
        "cut=0..2T,mode=BLACKHOLE    | cut=0..2T,mode=blackhole",
        "cut=3MiB..3M,count=1        | cut=3M,mode=rst,count=1",
      })
  void toStringIsCanonicalAndParsesBack(String text, String canonical) {
    final ChaosSpec spec = ChaosSpec.parse(text);
    assertEquals(canonical, spec.toString());
    assertEquals(spec, ChaosSpec.parse(spec.toString()));
    assertEquals(spec.hashCode(), ChaosSpec.parse(spec.toString()).hashCode());
  }

  @Test
  void equalityLooksAtEveryField() {
    final ChaosSpec base = ChaosSpec.of(1, 10, Mode.RST, 3);
    assertEquals(base, ChaosSpec.of(1, 10, Mode.RST, 3));
    assertNotEquals(base, ChaosSpec.of(2, 10, Mode.RST, 3));
    assertNotEquals(base, ChaosSpec.of(1, 11, Mode.RST, 3));
    assertNotEquals(base, ChaosSpec.of(1, 10, Mode.FIN, 3));
    assertNotEquals(base, ChaosSpec.of(1, 10, Mode.RST, 4));
    assertNotEquals(base, null);
  }

  @Test
  void ofValidatesLikeParse() {
    assertThrows(IllegalArgumentException.class, () -> ChaosSpec.of(-1, 10, Mode.RST, 1));
    assertThrows(IllegalArgumentException.class, () -> ChaosSpec.of(0, 0, Mode.RST, 1));
    assertThrows(IllegalArgumentException.class, () -> ChaosSpec.of(11, 10, Mode.RST, 1));
    assertThrows(IllegalArgumentException.class, () -> ChaosSpec.of(1, 10, Mode.RST, 0));
    assertThrows(NullPointerException.class, () -> ChaosSpec.of(1, 10, null, 1));
  }

  @Test
  void drawsStayWithinRangeAndCoverBothEnds() {
    final ChaosSpec spec = ChaosSpec.parse("cut=10..13,mode=fin");
    final RandomGenerator random = new SplittableRandom(7);
    final boolean[] seen = new boolean[4];
    for (int i = 0; i < 1_000; i++) {
      final Cut cut = spec.nextCut(random);
      assertTrue(cut.afterBytes() >= 10 && cut.afterBytes() <= 13, cut.toString());
      assertEquals(Mode.FIN, cut.mode());
      seen[(int) (cut.afterBytes() - 10)] = true;
    }
    for (int i = 0; i < seen.length; i++) {
      assertTrue(seen[i], "never drew " + (10 + i));
    }
  }

  @Test
  void singleValueAlwaysDrawsThatValue() {
    final ChaosSpec spec = ChaosSpec.parse("cut=4K");
    final RandomGenerator random = new SplittableRandom(1);
    for (int i = 0; i < 100; i++) {
      assertEquals(new Cut(4096, Mode.RST), spec.nextCut(random));
    }
  }

  @Test
  void fullRangeDrawDoesNotOverflow() {
    final ChaosSpec spec = ChaosSpec.of(0, Long.MAX_VALUE, Mode.RST, 1);
    final RandomGenerator random = new SplittableRandom(3);
    for (int i = 0; i < 1_000; i++) {
      assertTrue(spec.nextCut(random).afterBytes() >= 0);
    }
  }

  @Test
  void mixDrawsEveryConcreteModeAndNeverMix() {
    final ChaosSpec spec = ChaosSpec.parse("cut=1..100,mode=mix");
    final RandomGenerator random = new SplittableRandom(11);
    final Map<Mode, Integer> seen = new EnumMap<>(Mode.class);
    for (int i = 0; i < 3_000; i++) {
      seen.merge(spec.nextCut(random).mode(), 1, Integer::sum);
    }
    assertEquals(3, seen.size(), seen.toString());
    assertFalse(seen.containsKey(Mode.MIX));
    seen.values().forEach(n -> assertTrue(n > 800, seen.toString()));
  }

  @Test
  void sameSeedSameCuts() {
    final ChaosSpec spec = ChaosSpec.parse("cut=1M..1G,mode=mix");
    final RandomGenerator a = new SplittableRandom(99);
    final RandomGenerator b = new SplittableRandom(99);
    for (int i = 0; i < 50; i++) {
      assertEquals(spec.nextCut(a), spec.nextCut(b));
    }
  }

  @Test
  void cutRefusesMixAndNegative() {
    assertThrows(IllegalArgumentException.class, () -> new Cut(1, Mode.MIX));
    assertThrows(IllegalArgumentException.class, () -> new Cut(-1, Mode.RST));
  }
}
