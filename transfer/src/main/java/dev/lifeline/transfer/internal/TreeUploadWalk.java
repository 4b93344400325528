package dev.lifeline.transfer.internal;

import dev.lifeline.transfer.TreeListener;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;

/**
 * What a tree upload sends: the regular files and empty directories under a directory, sorted by
 * their tree name ({@code PREFIX/a/b}), walked without following symbolic links. A link, or any
 * entry that is neither a regular file nor a directory, is not sent; the listener hears of each.
 * An entry whose name the server would refuse ({@link FileNames#treeProblem}) becomes a failed
 * item and is never sent.
 */
final class TreeUploadWalk {
  private TreeUploadWalk() {}

  /** One entry of the set and where it stands; confined to the uploading thread. */
  static final class Item {
    enum Status { PENDING, SENT, DONE, SKIPPED, FAILED }

    final Path path;
    final String name;
    final boolean directory;
    long size; // as last read (the walk, or when it was last sent)
    long mtime;
    Status status = Status.PENDING;
    byte[] sha; // of what was sent, once its last chunk was
    String error;
    int attempts; // sends that were abandoned because the file changed
    long from; // where the next send starts (a checkpoint or a NEED); 0 for the start
    byte[] fromSha; // SHA-256 the local prefix must have to continue from a checkpoint
    long fromSize; // ... and the size and time the file had then
    long fromMtime;
    int sends; // how often its bytes were sent; bytes of later sends count as sent again

    Item(Path path, String name, boolean directory, long size, long mtime) {
      this.path = path;
      this.name = name;
      this.directory = directory;
      this.size = size;
      this.mtime = mtime;
    }

    boolean isFinal() {
      return status == Status.DONE || status == Status.SKIPPED || status == Status.FAILED;
    }
  }

  /** The items under {@code dir} (a real directory), named under {@code prefix}, sorted. */
  static List<Item> walk(Path dir, String prefix, TreeListener listener) throws IOException {
    List<Item> items = new ArrayList<>();
    // per open directory: whether anything under it is sent (else it is sent as empty)
    Deque<boolean[]> open = new ArrayDeque<>();
    Files.walkFileTree(dir, EnumSet.noneOf(java.nio.file.FileVisitOption.class),
        Integer.MAX_VALUE, new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
            if (!d.equals(dir)) {
              String name = nameOf(dir, d, prefix);
              String problem = FileNames.treeProblem(name);
              if (problem != null) {
                items.add(failed(d, name, true, problem));
                markUsed(open);
                return FileVisitResult.SKIP_SUBTREE;
              }
            }
            open.push(new boolean[1]);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
            String rel = dir.relativize(f).toString();
            if (a.isSymbolicLink()) {
              listener.notice("skipped symbolic link " + rel + " -> " + linkTarget(f)
                  + ": links are never followed or sent");
            } else if (!a.isRegularFile()) {
              listener.notice("skipped " + rel + ": not a regular file or a directory");
            } else {
              String name = nameOf(dir, f, prefix);
              String problem = FileNames.treeProblem(name);
              items.add(problem == null
                  ? new Item(f, name, false, a.size(), a.lastModifiedTime().toMillis())
                  : failed(f, name, false, problem));
              markUsed(open);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path f, IOException e) {
            items.add(failed(f, nameOf(dir, f, prefix), false, "cannot read: " + e));
            markUsed(open);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            boolean used = open.pop()[0];
            String name = nameOf(dir, d, prefix);
            if (!used && !name.isEmpty()) {
              items.add(new Item(d, name, true, 0,
                  Files.getLastModifiedTime(d).toMillis()));
            }
            markUsed(open);
            return FileVisitResult.CONTINUE;
          }
        });
    items.sort(Comparator.comparing(i -> i.name));
    return items;
  }

  private static void markUsed(Deque<boolean[]> open) {
    if (!open.isEmpty()) {
      open.peek()[0] = true;
    }
  }

  private static Item failed(Path p, String name, boolean directory, String problem) {
    Item i = new Item(p, name, directory, 0, 0);
    i.status = Item.Status.FAILED;
    i.error = "not sent: name " + FileNames.printable(name) + " refused: " + problem;
    return i;
  }

  /** The tree name of {@code p}: the prefix, then its path under {@code dir} with '/'. */
  static String nameOf(Path dir, Path p, String prefix) {
    StringBuilder b = new StringBuilder(prefix);
    for (Path c : dir.relativize(p)) {
      String s = c.toString();
      if (s.isEmpty()) {
        continue;
      }
      if (b.length() > 0) {
        b.append('/');
      }
      b.append(s);
    }
    return b.toString();
  }

  private static String linkTarget(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException | UnsupportedOperationException e) {
      return "?";
    }
  }
}
