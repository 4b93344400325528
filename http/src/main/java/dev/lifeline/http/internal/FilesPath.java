package dev.lifeline.http.internal;

import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.internal.FileNames;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * What a request under {@code /files/} names: a tree name ({@code a/b/c}) and whether it asks for
 * a directory listing (a trailing {@code /}, or nothing at all for the whole files directory).
 *
 * <p>The raw path is split on {@code /} first and each component percent-decoded after, so an
 * encoded slash ({@code %2F}) stays inside its component and is refused there, never turned into
 * a separator; {@code +} is a plus sign, as in any path. Every component must pass the transfer
 * module's name rules ({@link FileNames#resolveTree}): no {@code .}/{@code ..}, no hidden names,
 * no control characters, no empty component ({@code a//b}).
 */
record FilesPath(String name, boolean listing) {
  /** A request path that is not an acceptable tree name; the message says why, for a 400. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Parses the part of a request URI after {@code /files/} (query and fragment not yet removed).
   *
   * @throws Refused for a malformed escape, invalid UTF-8 or a name the server's rules refuse
   */
  static FilesPath parse(String rawAfterPrefix, Path filesDir) throws Refused {
    String raw = rawAfterPrefix;
    int end = indexOfAny(raw, '?', '#');
    if (end >= 0) {
      raw = raw.substring(0, end);
    }
    if (raw.isEmpty()) {
      return new FilesPath("", true);
    }
    boolean listing = raw.endsWith("/");
    if (listing) {
      raw = raw.substring(0, raw.length() - 1);
    }
    List<String> components = new ArrayList<>();
    for (String c : raw.split("/", -1)) {
      components.add(decode(c));
    }
    String name = String.join("/", components);
    try {
      // Checks every component; the separator check also catches a decoded %2F.
      for (String c : components) {
        FileNames.resolve(filesDir, c);
      }
      FileNames.resolveTree(filesDir, name);
    } catch (TransferException e) {
      throw new Refused(e.getMessage());
    }
    return new FilesPath(name, listing);
  }

  /** Where the name lives under {@code filesDir}; only call on a parsed name. */
  Path resolve(Path filesDir) {
    Path p = filesDir;
    if (!name.isEmpty()) {
      for (String c : name.split("/")) {
        p = p.resolve(c);
      }
    }
    return p;
  }

  /**
   * The attributes of what the name points at, reached without following a symbolic link on the
   * way: every component above the last must be a real directory, and the last is read without
   * following it (a link reads as one, neither a file nor a directory).
   *
   * @throws NoSuchFileException when a component is missing or is not a directory
   */
  BasicFileAttributes stat(Path filesDir) throws IOException {
    Path p = filesDir;
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
    if (name.isEmpty()) {
      return a;
    }
    for (String c : name.split("/")) {
      if (!a.isDirectory()) {
        throw new NoSuchFileException(p.toString(), null, "not a directory");
      }
      p = p.resolve(c);
      a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }
    return a;
  }

  /** Strict percent-decoding of one path component into UTF-8. */
  static String decode(String component) throws Refused {
    if (component.indexOf('%') < 0) {
      return component;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(component.length());
    int i = 0;
    while (i < component.length()) {
      int percent = component.indexOf('%', i);
      int stop = percent < 0 ? component.length() : percent;
      bytes.writeBytes(component.substring(i, stop).getBytes(StandardCharsets.UTF_8));
      if (percent < 0) {
        break;
      }
      int hi = percent + 1 < component.length()
          ? Character.digit(component.charAt(percent + 1), 16) : -1;
      int lo = percent + 2 < component.length()
          ? Character.digit(component.charAt(percent + 2), 16) : -1;
      if (hi < 0 || lo < 0) {
        throw new Refused("malformed percent escape in the path");
      }
      bytes.write(hi << 4 | lo);
      i = percent + 3;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new Refused("the path is not valid UTF-8");
    }
  }

  /**
   * The name as a URL path under {@code /files/}: every component percent-encoded except the
   * unreserved characters, so any stored name makes a link that parses back to itself.
   */
  static String encode(String name) {
    StringBuilder b = new StringBuilder(name.length() + 16);
    for (byte x : name.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }

  private static int indexOfAny(String s, char a, char b) {
    int i = s.indexOf(a);
    int j = s.indexOf(b);
    return i < 0 ? j : j < 0 ? i : Math.min(i, j);
  }
}
