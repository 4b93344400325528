package dev.lifeline.http.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The status page: one self-contained HTML document (inline style and script, no external
 * assets) that fetches {@code /status.json} every second and draws sessions, transfers, recent
 * events and a throughput chart (inline SVG).
 */
final class StatusPage {
  static final String HTML = load();

  private StatusPage() {}

  private static String load() {
    try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
      if (in == null) {
        throw new IllegalStateException("status.html missing from the lifeline-http jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read status.html", e);
    }
  }
}
