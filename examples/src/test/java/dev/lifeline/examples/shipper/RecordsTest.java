package dev.lifeline.examples.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RecordsTest {

  @Test
  void aRecordIsOneLineOfTheAskedLengthThatBeginsWithItsNumber() {
    String line = new String(Records.line(1234, 20), StandardCharsets.US_ASCII);

    assertEquals("1234 mnopqrstuvwxyz\n", line);
    assertEquals(20, line.length());
  }

  @Test
  void theShortestRecordIsItsNumberAndTheNewline() {
    assertEquals("1234\n", new String(Records.line(1234, 5), StandardCharsets.US_ASCII));
    assertEquals("1234 \n", new String(Records.line(1234, 6), StandardCharsets.US_ASCII));
    assertEquals(5, Records.minBytes(1234));
  }

  @Test
  void aLineTooShortForItsNumberIsRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Records.line(1234, 4));

    assertEquals("bytes: 4 (expected: >= 5 for record 1234)", e.getMessage());
  }
}
