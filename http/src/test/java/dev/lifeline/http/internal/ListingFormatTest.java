package dev.lifeline.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Which listing format a client gets from its Accept header or ?format=. */
class ListingFormatTest {
  @Test
  void acceptPicksTheFormat() {
    assertEquals(ListingFormat.TEXT, ListingFormat.negotiate(null, null));
    assertEquals(ListingFormat.TEXT, ListingFormat.negotiate("*/*", null), "curl");
    assertEquals(ListingFormat.JSON, ListingFormat.negotiate("application/json", null));
    assertEquals(ListingFormat.HTML, ListingFormat.negotiate(
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", null), "browsers");
    assertEquals(ListingFormat.JSON,
        ListingFormat.negotiate("text/html;q=0.5, application/json", null));
    assertEquals(ListingFormat.TEXT, ListingFormat.negotiate("text/*", null));
    assertEquals(ListingFormat.TEXT, ListingFormat.negotiate("image/png", null),
        "nothing acceptable: text rather than 406");
    assertEquals(ListingFormat.JSON, ListingFormat.negotiate("text/plain;q=0, */*", null),
        "ties go to text, then JSON");
  }

  @Test
  void theQueryParameterOverridesAccept() {
    assertEquals(ListingFormat.JSON, ListingFormat.negotiate("text/html", "json"));
    assertEquals(ListingFormat.HTML, ListingFormat.negotiate("*/*", "HTML"));
    assertEquals(ListingFormat.TEXT, ListingFormat.negotiate("application/json", "text"));
    assertNull(ListingFormat.negotiate(null, "xml"));
  }
}
