package dev.lifeline.transfer.internal;

import dev.lifeline.transfer.TransferException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Which names a server accepts for its files: plain names inside its directory, nothing else. */
public final class FileNames {
  private FileNames() {}

  /** The longest name accepted, in UTF-8 bytes (the usual file system limit). */
  public static final int MAX_BYTES = 255;

  /**
   * Resolves {@code name} inside {@code dir}.
   *
   * @throws TransferException (INVALID_NAME) for an empty, too long, hidden, relative ("." "..")
   *     or absolute name, one with a separator or a control character
   */
  public static Path resolve(Path dir, String name) throws TransferException {
    String problem = problem(name);
    if (problem == null) {
      try {
        Path p = dir.resolve(name).normalize();
        if (p.getParent() != null && p.getParent().equals(dir.normalize())) {
          return p;
        }
        problem = "it leaves the files directory";
      } catch (InvalidPathException e) {
        problem = "it is not a valid file name here";
      }
    }
    throw new TransferException(TransferException.Reason.INVALID_NAME,
        "name " + printable(name) + " refused: " + problem);
  }

  /** The longest tree name accepted (a path of components), in UTF-8 bytes. */
  public static final int MAX_TREE_BYTES = 4096;

  /**
   * Resolves the tree name {@code name} ({@code a/b/c}) inside {@code dir}: every component must
   * be a name {@link #resolve} accepts, so nothing can leave {@code dir} or hide in it.
   *
   * @throws TransferException (INVALID_NAME) naming the component refused and why
   */
  public static Path resolveTree(Path dir, String name) throws TransferException {
    String problem = treeProblem(name);
    if (problem != null) {
      throw new TransferException(TransferException.Reason.INVALID_NAME,
          "name " + printable(name) + " refused: " + problem);
    }
    Path p = dir.normalize();
    for (String component : name.split("/", -1)) {
      p = resolve(p, component);
    }
    return p;
  }

  /** Why {@code name} is not an acceptable tree name, or null if it is. */
  static String treeProblem(String name) {
    if (name.isEmpty()) {
      return "it is empty";
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_TREE_BYTES) {
      return "it is longer than " + MAX_TREE_BYTES + " bytes";
    }
    for (String component : name.split("/", -1)) {
      String p = problem(component);
      if (p != null) {
        return "component " + printable(component) + ": " + p;
      }
    }
    return null;
  }

  private static String problem(String name) {
    if (name.isEmpty()) {
      return "it is empty";
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      return "it is longer than " + MAX_BYTES + " bytes";
    }
    if (name.startsWith(".")) {
      return "names starting with '.' are reserved";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return "it contains a control character";
      }
      if (c == '/' || c == '\\') {
        return "it contains a path separator";
      }
    }
    if (!name.strip().equals(name)) {
      return "it starts or ends with white space";
    }
    return null;
  }

  /** The name as it can be shown in a message: escapes control characters, shortens. */
  public static String printable(String name) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < name.length() && b.length() < 80; i++) {
      char c = name.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    if (b.length() >= 80) {
      b.append("…");
    }
    return b.append('"').toString();
  }
}
