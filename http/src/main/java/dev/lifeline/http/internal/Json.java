package dev.lifeline.http.internal;

/** Just enough JSON writing for the status document: escaped strings, numbers, no reflection. */
final class Json {
  private final StringBuilder out = new StringBuilder(4096);
  private boolean first = true;

  Json open(char bracket) {
    comma();
    out.append(bracket);
    first = true;
    return this;
  }

  Json close(char bracket) {
    out.append(bracket);
    first = false;
    return this;
  }

  Json key(String key) {
    comma();
    string(key);
    out.append(':');
    first = true;
    return this;
  }

  Json value(String s) {
    comma();
    string(s);
    return this;
  }

  Json value(long n) {
    comma();
    out.append(n);
    return this;
  }

  Json value(double d) {
    comma();
    out.append(Double.isFinite(d) ? String.format(java.util.Locale.ROOT, "%.4f", d) : "null");
    return this;
  }

  Json value(boolean b) {
    comma();
    out.append(b);
    return this;
  }

  Json field(String key, String value) {
    return key(key).value(value);
  }

  Json field(String key, long value) {
    return key(key).value(value);
  }

  Json field(String key, double value) {
    return key(key).value(value);
  }

  Json field(String key, boolean value) {
    return key(key).value(value);
  }

  private void comma() {
    if (!first) {
      out.append(',');
    }
    first = false;
  }

  private void string(String s) {
    escape(out, s);
  }

  /** {@code s} as a JSON string literal, quotes included. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    escape(b, s);
    return b.toString();
  }

  private static void escape(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          // Also escape '<' so the document can never close a script element it is put in.
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
