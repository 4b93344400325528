package dev.lifeline.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The status document's writer: structure, commas, and escaping of names clients chose. */
class JsonTest {
  @Test
  void writesNestedStructures() {
    String json = new Json().open('{').field("a", 1).key("b").open('[').value(true)
        .value("x").open('{').close('}').close(']').field("c", 0.5).close('}').toString();
    assertEquals("{\"a\":1,\"b\":[true,\"x\",{}],\"c\":0.5000}", json);
  }

  @Test
  void escapesEverythingAFileNameMayCarry() {
    String name = "a\"b\\c\td\u0001</script><img src=x onerror=alert(1)>&\u2028";
    assertEquals("[\"a\\\"b\\\\c\\td\\u0001\\u003c/script\\u003e\\u003cimg src=x "
        + "onerror=alert(1)\\u003e\\u0026\\u2028\"]",
        new Json().open('[').value(name).close(']').toString());
  }

  @Test
  void nonFiniteNumbersBecomeNull() {
    assertEquals("[null]", new Json().open('[').value(Double.NaN).close(']').toString());
  }
}
