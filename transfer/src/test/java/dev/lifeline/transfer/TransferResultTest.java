package dev.lifeline.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TransferResultTest {

  @Test
  void jsonHasEveryFieldInOrder() {
    TransferResult r = new TransferResult("a\"b\\c\u0001.bin", 1073741824L, "ab12", 3.3456,
        2, 1, 2, 4096, 65536);
    assertEquals("{\"name\":\"a\\\"b\\\\c\\u0001.bin\",\"bytes\":1073741824,\"sha256\":\"ab12\","
        + "\"seconds\":3.346,\"reconnects\":2,\"tlsFull\":1,\"tlsResumed\":2,"
        + "\"resentBytes\":4096,\"resumedFromOffset\":65536}", r.toJson());
  }

  @Test
  void secondsPrintAsPercentPointThreeFWould() {
    double[] fixed = {0, 0.0004, 0.0005, 0.001, 0.0999, 0.9995, 1, 12.3456, 59.9999, 3600.25,
        -0.25, -1.5};
    for (double s : fixed) {
      assertEquals(String.format(Locale.ROOT, "%.3f", s), TransferResult.secondsText(s), "" + s);
    }
    Random random = new Random(6);
    for (int i = 0; i < 10_000; i++) {
      // Whole microseconds, as a transfer's wall time is measured: no value lies on a rounding
      // tie that Formatter (decimal) and Math.round (binary) could break differently.
      double s = random.nextInt(100_000_000) / 1e6 + 0.0000001;
      assertEquals(String.format(Locale.ROOT, "%.3f", s), TransferResult.secondsText(s), "" + s);
    }
  }
}
