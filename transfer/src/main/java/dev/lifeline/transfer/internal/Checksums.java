package dev.lifeline.transfer.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * SHA-256 of complete files, kept beside them in {@code .meta/KEY.sha256} as "size mtime hex" so
 * a download does not hash the whole file each time (KEY is the hex SHA-256 of the file name, so
 * a name of the full 255 bytes still gives a sidecar name the file system accepts); recomputed when the file's size or
 * modification time no longer match.
 */
final class Checksums {
  private final Path dir;
  private final Path filesDir;

  Checksums(Path dir) throws IOException {
    this.dir = dir;
    this.filesDir = dir.toAbsolutePath().normalize().getParent();
    Files.createDirectories(dir);
  }

  /** The file's SHA-256, from the sidecar when it is current. */
  synchronized byte[] of(Path file) throws IOException {
    long size = Files.size(file);
    long mtime = Files.getLastModifiedTime(file).toMillis();
    Path side = sidecar(file);
    if (Files.exists(side)) {
      String[] f = Files.readString(side, StandardCharsets.US_ASCII).trim().split(" ");
      if (f.length == 3 && f[0].equals(Long.toString(size)) && f[1].equals(Long.toString(mtime))) {
        return HexFormat.of().parseHex(f[2]);
      }
    }
    byte[] sha;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      MessageDigest d = Hashing.prefix(ch, size);
      sha = d.digest();
    }
    record(file, sha);
    return sha;
  }

  /** Stores a just-verified file's checksum. */
  synchronized void record(Path file, byte[] sha) throws IOException {
    long size = Files.size(file);
    long mtime = Files.getLastModifiedTime(file).toMillis();
    Path side = sidecar(file);
    Path tmp = side.resolveSibling(side.getFileName() + ".tmp");
    Files.writeString(tmp, size + " " + mtime + " " + Hashing.hex(sha) + "\n",
        StandardCharsets.US_ASCII);
    Files.move(tmp, side, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * The sidecar of {@code file}: named by the hash of its name relative to the files directory
   * ({@code a/b/c} in a tree, the plain name at the top), never too long.
   */
  private Path sidecar(Path file) {
    Path abs = file.toAbsolutePath().normalize();
    String relative = abs.startsWith(filesDir) ? filesDir.relativize(abs).toString()
        : file.getFileName().toString();
    byte[] name = relative.getBytes(StandardCharsets.UTF_8);
    return dir.resolve(Hashing.hex(Hashing.sha256().digest(name)) + ".sha256");
  }
}
