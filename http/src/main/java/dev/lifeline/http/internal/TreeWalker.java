package dev.lifeline.http.internal;

import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.internal.FileNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Walks a directory of the files directory the way the Lifeline listing does ({@code
 * TreeListing}): complete files and empty directories, named by their full tree name, sorted by
 * that name; names starting with '.' ({@code .partial}, {@code .meta}), symbolic links and other
 * non-regular files left out. Unlike that listing it hands entries over one at a time, so an HTTP
 * listing of a large tree streams instead of being built in memory; only one directory's names
 * are held per level. Names that could not be requested back (a component the server's name
 * rules refuse, a name longer than {@link FileNames#MAX_TREE_BYTES}) are left out too.
 *
 * <p>The order equals a sort of the full names because a directory's children are sorted by
 * {@code name + "/"} when the directory has entries of its own (they all start with that) and by
 * {@code name} when it is listed as empty.
 */
final class TreeWalker {
  /** A file ({@code sha} its SHA-256) or an empty directory ({@code size} 0, {@code sha} null). */
  record Entry(boolean directory, String name, long size, long mtimeMillis, byte[] sha) {}

  /** Receives the entries in order; may block (back-pressure) or fail. */
  interface Sink {
    void accept(Entry entry) throws IOException, InterruptedException;
  }

  /** The SHA-256 of a stored file. */
  interface Hasher {
    byte[] sha256(Path file) throws IOException;
  }

  private record Child(Path path, String name, String sortKey, BasicFileAttributes attrs,
      boolean listedAsEmpty) {}

  private final Path filesDir;
  private final Hasher hasher;

  TreeWalker(Path filesDir, Hasher hasher) {
    this.filesDir = filesDir;
    this.hasher = hasher;
  }

  /**
   * Walks the directory {@code dir} named {@code name} ("" for the files directory itself); an
   * empty directory other than the files directory is listed as itself.
   */
  void walk(Path dir, String name, Sink sink) throws IOException, InterruptedException {
    List<Child> children = children(dir, name);
    if (children.isEmpty()) {
      if (!name.isEmpty()) {
        sink.accept(directoryEntry(dir, name));
      }
      return;
    }
    for (Child c : children) {
      if (Thread.interrupted()) {
        throw new InterruptedException("listing abandoned");
      }
      if (c.attrs().isRegularFile()) {
        byte[] sha;
        try {
          sha = hasher.sha256(c.path());
        } catch (NoSuchFileException e) {
          continue; // deleted or replaced while we walked: it is no longer there to list
        }
        sink.accept(new Entry(false, c.name(), c.attrs().size(),
            c.attrs().lastModifiedTime().toMillis(), sha));
      } else if (c.listedAsEmpty()) {
        sink.accept(directoryEntry(c.path(), c.name()));
      } else {
        try {
          walk(c.path(), c.name(), sink);
        } catch (NoSuchFileException e) {
          // removed while we walked
        }
      }
    }
  }

  /** The listable children of {@code dir}, in listing order. */
  private List<Child> children(Path dir, String name) throws IOException {
    List<Child> out = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        String full = name.isEmpty() ? n : name + "/" + n;
        if (!requestable(dir, n, full)) {
          continue;
        }
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          continue;
        }
        if (a.isRegularFile()) {
          out.add(new Child(p, full, n, a, false));
        } else if (a.isDirectory()) {
          boolean empty = !hasListableChild(p, full);
          out.add(new Child(p, full, empty ? n : n + "/", a, empty));
        }
      }
    }
    out.sort(Comparator.comparing(Child::sortKey));
    return out;
  }

  /** Whether {@code dir} has a child the walk would list or descend into. */
  private static boolean hasListableChild(Path dir, String name) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        if (!requestable(dir, n, name + "/" + n)) {
          continue;
        }
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          continue;
        }
        if (a.isRegularFile() || a.isDirectory()) {
          return true;
        }
      }
    } catch (NoSuchFileException e) {
      return false;
    }
    return false;
  }

  private static boolean requestable(Path dir, String component, String full) {
    if (component.startsWith(".")
        || full.getBytes(StandardCharsets.UTF_8).length > FileNames.MAX_TREE_BYTES) {
      return false;
    }
    try {
      FileNames.resolve(dir, component);
      return true;
    } catch (TransferException e) {
      return false;
    }
  }

  private static Entry directoryEntry(Path dir, String name) throws IOException {
    long mtime = Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toMillis();
    return new Entry(true, name, 0, mtime, null);
  }
}
