package dev.lifeline.demo.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {

  @Test
  void parsesDurationsWithUnits() {
    assertEquals(Duration.ofMillis(500), Units.parseDuration("500ms"));
    assertEquals(Duration.ofSeconds(2), Units.parseDuration("2s"));
    assertEquals(Duration.ofMinutes(1), Units.parseDuration("1m"));
    assertEquals(Duration.ofHours(24), Units.parseDuration("24h"));
    assertEquals(Duration.ofDays(7), Units.parseDuration("7D"));
    assertEquals(Duration.ofSeconds(2), Units.parseDuration("PT2S"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "2", "s", "2x", "-2s", "0s", "2 s", "1.5s", "PT-1S", "P", "2sec"})
  void refusesBadDurationsNamingValueAndForm(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Units.parseDuration(text));
    assertTrue(e.getMessage().startsWith("'" + text + "' is not a duration"), e.getMessage());
    assertTrue(e.getMessage().contains("500ms"), e.getMessage());
  }

  @Test
  void parsesBinarySizes() {
    assertEquals(4096, Units.parseSize("4096"));
    assertEquals(4096, Units.parseSize("4096B"));
    assertEquals(8L << 10, Units.parseSize("8K"));
    assertEquals(8L << 20, Units.parseSize("8M"));
    assertEquals(8L << 20, Units.parseSize("8MiB"));
    assertEquals(10L << 30, Units.parseSize("10g"));
    assertEquals(1L << 40, Units.parseSize("1T"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "M", "1.5G", "-1", "8X", "8 M", "10GB"})
  void refusesBadSizes(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Units.parseSize(text));
    assertTrue(e.getMessage().contains("'" + text + "' is not a size"), e.getMessage());
  }

  @Test
  void refusesSizesThatOverflow() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Units.parseSize("9000000000T"));
    assertTrue(e.getMessage().contains("too large"), e.getMessage());
  }

  @Test
  void formatsBytesForPeople() {
    assertEquals("512 B", Units.formatBytes(512));
    assertEquals("256.0 MiB", Units.formatBytes(256L << 20));
    assertEquals("1.5 GiB", Units.formatBytes(3L << 29));
  }
}
