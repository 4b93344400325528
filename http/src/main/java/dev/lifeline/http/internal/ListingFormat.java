package dev.lifeline.http.internal;

import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How a directory listing is written: plain text for curl and scripts (the default), JSON for
 * {@code Accept: application/json}, a minimal HTML index for browsers. {@code ?format=text|json|
 * html} overrides the {@code Accept} header, for clients that cannot set it.
 *
 * <p>Each format has a head, one piece per entry and a tail, so the listing can be streamed as it
 * is walked. Text is one line per entry, {@code SIZE SHA256 MTIME NAME} separated by one space
 * with the name last (it may contain spaces, never a line break); an empty directory reads {@code
 * - - MTIME NAME/}.
 */
enum ListingFormat {
  TEXT("text/plain; charset=utf-8"),
  JSON("application/json"),
  HTML("text/html; charset=utf-8");

  /** The HTML index needs its inline style and nothing else. */
  static final String HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; "
      + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final String contentType;

  ListingFormat(String contentType) {
    this.contentType = contentType;
  }

  String contentType() {
    return contentType;
  }

  /**
   * The format for a request: {@code format} (the query parameter) when it names one, else the
   * {@code Accept} media range with the highest q-value among text/plain, application/json and
   * text/html; ties go to text, then JSON, so {@code Accept: *}{@code /*} (curl) gets text and a
   * browser's {@code text/html,...,*}{@code /*;q=0.8} gets HTML.
   *
   * @return null when {@code format} is given but names no format
   */
  static ListingFormat negotiate(String accept, String format) {
    if (format != null) {
      return switch (format.toLowerCase(Locale.ROOT)) {
        case "text", "txt", "plain" -> TEXT;
        case "json" -> JSON;
        case "html" -> HTML;
        default -> null;
      };
    }
    if (accept == null || accept.isBlank()) {
      return TEXT;
    }
    ListingFormat best = TEXT;
    double bestQ = -1;
    for (ListingFormat f : values()) {
      double q = quality(accept, f.contentType.split(";")[0]);
      if (q > bestQ) {
        best = f;
        bestQ = q;
      }
    }
    return bestQ > 0 ? best : TEXT;
  }

  /** The q-value {@code accept} gives {@code type}: its most specific matching range wins. */
  static double quality(String accept, String type) {
    String major = type.substring(0, type.indexOf('/'));
    double q = 0;
    int specificity = -1;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String media = parts[0].trim().toLowerCase(Locale.ROOT);
      int s = media.equals(type) ? 2 : media.equals(major + "/*") ? 1 : media.equals("*/*") ? 0
          : -1;
      if (s > specificity) {
        specificity = s;
        q = 1;
        for (int i = 1; i < parts.length; i++) {
          String p = parts[i].trim();
          if (p.startsWith("q=")) {
            try {
              q = Double.parseDouble(p.substring(2));
            } catch (NumberFormatException e) {
              q = 0;
            }
          }
        }
      }
    }
    return q;
  }

  /** What comes before the first entry; {@code shown} is the prefix as asked for, e.g. "a/". */
  String head(String shown) {
    return switch (this) {
      case TEXT -> "";
      case JSON -> "{\"prefix\":" + Json.quote(shown) + ",\"entries\":[\n";
      case HTML -> "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
          + "<meta name=\"viewport\" content=\"width=device-width\">"
          + "<title>" + html("/files/" + shown) + "</title><style>"
          + "body{font:14px system-ui,sans-serif;margin:2em}td{padding:.1em 1em .1em 0}"
          + "td.n{text-align:right}code{font-size:12px}</style></head><body>\n"
          + "<h1>" + html("/files/" + shown) + "</h1>\n<table>\n"
          + "<tr><th>name</th><th>size</th><th>modified (UTC)</th><th>SHA-256</th></tr>\n";
    };
  }

  /** One entry; {@code first} tells JSON not to put a comma before it. */
  String entry(TreeWalker.Entry e, boolean first) {
    String mtime = Instant.ofEpochMilli(e.mtimeMillis()).toString();
    String sha = e.sha() == null ? null : HexFormat.of().formatHex(e.sha());
    return switch (this) {
      case TEXT -> e.directory() ? "- - " + mtime + " " + e.name() + "/\n"
          : e.size() + " " + sha + " " + mtime + " " + e.name() + "\n";
      case JSON -> (first ? "" : ",\n") + "{\"name\":" + Json.quote(e.name())
          + (e.directory() ? ",\"type\":\"dir\"" : ",\"type\":\"file\",\"size\":" + e.size()
              + ",\"sha256\":\"" + sha + "\"")
          + ",\"mtime\":\"" + mtime + "\",\"mtimeMillis\":" + e.mtimeMillis() + "}";
      case HTML -> e.directory()
          ? "<tr><td>" + html(e.name()) + "/</td><td class=\"n\">-</td><td>" + mtime
              + "</td><td>(empty directory)</td></tr>\n"
          : "<tr><td><a href=\"/files/" + html(FilesPath.encode(e.name())) + "\">"
              + html(e.name()) + "</a></td><td class=\"n\">" + e.size() + "</td><td>" + mtime
              + "</td><td><code>" + sha + "</code></td></tr>\n";
    };
  }

  /** What comes after the last entry. */
  String tail(long files, long directories, long bytes) {
    return switch (this) {
      case TEXT -> "";
      case JSON -> (files + directories == 0 ? "" : "\n") + "],\"files\":" + files
          + ",\"directories\":" + directories + ",\"bytes\":" + bytes + "}\n";
      case HTML -> "</table>\n<p>" + files + " files, " + bytes + " bytes, " + directories
          + " empty directories</p>\n</body></html>\n";
    };
  }

  /** Escapes text for HTML element content and double-quoted attributes. */
  static String html(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
