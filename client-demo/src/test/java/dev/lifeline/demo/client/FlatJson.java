package dev.lifeline.demo.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict parser for the client's JSON lines: one flat object of string, number and boolean
 * values. Anything else (a missing quote, a trailing comma, bytes after the object) fails the
 * test, so "the JSON lines parse" means what a JSON library would accept for this shape.
 */
final class FlatJson {
  private final String s;
  private int i;

  private FlatJson(String s) {
    this.s = s;
  }

  /** The object's fields, in order; numbers and booleans as their text, strings unescaped. */
  static Map<String, String> parse(String line) {
    FlatJson p = new FlatJson(line);
    Map<String, String> fields = new LinkedHashMap<>();
    p.expect('{');
    if (p.peek() != '}') {
      do {
        String key = p.string();
        p.expect(':');
        String value = p.peek() == '"' ? p.string() : p.scalar();
        if (fields.put(key, value) != null) {
          throw p.error("duplicate key " + key);
        }
      } while (p.accept(','));
    }
    p.expect('}');
    if (p.i != line.length()) {
      throw p.error("text after the object");
    }
    return fields;
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw error("raw control character in a string");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'u' -> {
          b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          i += 4;
        }
        default -> throw error("bad escape \\" + e);
      }
    }
  }

  private String scalar() {
    int start = i;
    while (i < s.length() && ",}".indexOf(s.charAt(i)) < 0) {
      i++;
    }
    String v = s.substring(start, i);
    if (!v.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null")) {
      throw error("not a JSON value: " + v);
    }
    return v;
  }

  private char peek() {
    if (i >= s.length()) {
      throw error("unexpected end");
    }
    return s.charAt(i);
  }

  private char next() {
    char c = peek();
    i++;
    return c;
  }

  private boolean accept(char c) {
    if (i < s.length() && s.charAt(i) == c) {
      i++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!accept(c)) {
      throw error("expected '" + c + "'");
    }
  }

  private AssertionError error(String what) {
    return new AssertionError("not a flat JSON object (" + what + " at " + i + "): " + s);
  }
}
