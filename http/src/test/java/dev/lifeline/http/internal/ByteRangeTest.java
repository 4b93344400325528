package dev.lifeline.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Range header reading (RFC 9110 §14.1.2) and the validators' comparison rules. */
class ByteRangeTest {
  static ByteRange.Outcome partial(long first, long last) {
    return new ByteRange.Partial(new ByteRange(first, last));
  }

  @Test
  void singleRanges() {
    assertEquals(partial(0, 99), ByteRange.parse("bytes=0-99", 1000));
    assertEquals(partial(500, 999), ByteRange.parse("bytes=500-", 1000));
    assertEquals(partial(900, 999), ByteRange.parse("bytes=-100", 1000));
    assertEquals(partial(0, 999), ByteRange.parse("bytes=-5000", 1000));
    assertEquals(partial(10, 999), ByteRange.parse("bytes=10-99999", 1000), "clipped");
    assertEquals(partial(999, 999), ByteRange.parse("Bytes=999-", 1000), "unit is case-blind");
  }

  @Test
  void unsatisfiable() {
    assertEquals(new ByteRange.Unsatisfiable(), ByteRange.parse("bytes=1000-", 1000));
    assertEquals(new ByteRange.Unsatisfiable(), ByteRange.parse("bytes=99999999-", 1000));
    assertEquals(new ByteRange.Unsatisfiable(), ByteRange.parse("bytes=-0", 1000));
    assertEquals(new ByteRange.Unsatisfiable(), ByteRange.parse("bytes=0-", 0));
  }

  @Test
  void ignoredHeadersServeTheWholeFile() {
    for (String h : new String[] {null, "", "items=0-1", "bytes=5-1", "bytes=a-b", "bytes=0-1,5-6",
        "bytes=-", "bytes=1", "bytes=99999999999999999999-", "bytes=+1-2"}) {
      assertEquals(new ByteRange.Whole(), ByteRange.parse(h, 1000), String.valueOf(h));
    }
  }

  @Test
  void validators() {
    String tag = "\"10-abc\"";
    assertTrue(FileResponder.matches("\"x\", " + tag, tag, false));
    assertTrue(FileResponder.matches("*", tag, false));
    assertFalse(FileResponder.matches("W/" + tag, tag, false), "strong comparison");
    assertTrue(FileResponder.matches("W/" + tag, tag, true), "weak comparison");
    String date = "Fri, 27 Nov 2026 09:57:31 GMT";
    assertTrue(FileResponder.ifRangeHolds(tag, tag, date));
    assertFalse(FileResponder.ifRangeHolds("W/" + tag, tag, date), "weak tags never hold");
    assertTrue(FileResponder.ifRangeHolds(date, tag, date));
    assertFalse(FileResponder.ifRangeHolds("Fri, 27 Nov 2026 09:57:30 GMT", tag, date));
    assertFalse(FileResponder.ifRangeHolds("yesterday", tag, date));
  }
}
