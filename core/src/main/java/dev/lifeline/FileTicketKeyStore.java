package dev.lifeline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * The default {@link TicketKeyStore}: one small text file, readable and writable by its owner only
 * (mode 0600). Each save writes a temporary file next to it, forces it to disk, renames it over the
 * old file and forces the directory, so a crash leaves either the old or the new ring.
 *
 * <p>File format, one key per line, newest first:
 * <pre>
 * # lifeline ticket keys v1
 * 2025-01-01T00:00:00Z BASE64(80 bytes: name | hmac key | aes key)
 * </pre>
 *
 * <pre>{@code
 * TicketKeyStore store = new FileTicketKeyStore(Path.of("/var/lib/app/tls/ticket-keys"));
 * }</pre>
 */
public final class FileTicketKeyStore implements TicketKeyStore {
  private static final String HEADER = "# lifeline ticket keys v1";

  private final Path file;

  public FileTicketKeyStore(Path file) {
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
  }

  public Path file() {
    return file;
  }

  @Override
  public synchronized List<TicketKey> load() throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
      throw new TlsConfigurationException(
          "ticket key file " + file + " is not a Lifeline ticket key file (expected first line: "
              + HEADER + ")");
    }
    List<TicketKey> ring = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (!line.isEmpty()) {
        ring.add(parse(line, i + 1));
      }
    }
    return List.copyOf(ring);
  }

  private TicketKey parse(String line, int lineNumber) throws TlsConfigurationException {
    String[] parts = line.split(" ");
    try {
      if (parts.length != 2) {
        throw new IllegalArgumentException("expected: TIMESTAMP BASE64");
      }
      return TicketKey.of(Base64.getDecoder().decode(parts[1]), Instant.parse(parts[0]));
    } catch (IllegalArgumentException | DateTimeParseException e) {
      throw new TlsConfigurationException(
          "ticket key file " + file + " line " + lineNumber + " is corrupt: " + e.getMessage());
    }
  }

  @Override
  public synchronized void save(List<TicketKey> ring) throws IOException {
    if (ring.isEmpty()) {
      throw new IllegalArgumentException("ring: [] (expected: at least one key)");
    }
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    for (TicketKey key : ring) {
      text.append(key.createdAt()).append(' ')
          .append(Base64.getEncoder().encodeToString(key.material())).append('\n');
    }
    Path dir = file.getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      moveAtomically(temp);
    } finally {
      Files.deleteIfExists(temp);
    }
    forceDirectory(dir);
  }

  private void moveAtomically(Path temp) throws IOException {
    try {
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Makes the rename durable; not every platform can open a directory, which is harmless. */
  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // best effort: the data itself is already on disk
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FileTicketKeyStore && file.equals(((FileTicketKeyStore) o).file);
  }

  @Override
  public int hashCode() {
    return file.hashCode();
  }

  @Override
  public String toString() {
    return "FileTicketKeyStore{" + file + '}';
  }
}
