package dev.lifeline.store.internal;

import static dev.lifeline.store.internal.OutboxDescriptor.META_FIXED_LENGTH;
import static dev.lifeline.store.internal.OutboxDescriptor.META_MAGIC;
import static dev.lifeline.store.internal.OutboxDescriptor.META_VERSION;
import static dev.lifeline.store.internal.OutboxDescriptor.PRODUCER_ID_LENGTH;

import dev.lifeline.store.StoreCorruptedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.zip.CRC32C;

/**
 * The meta file of one outbox directory: the key it belongs to and its producer id. Written once,
 * atomically (a temporary file, forced, renamed, the directory forced), so it is either absent or
 * whole; a meta file that does not verify is corruption, never replaced.
 */
final class OutboxMeta {
  static final String FILE = "meta";
  static final String TEMP = "meta.tmp";

  private OutboxMeta() {}

  /** Writes a new meta file with a fresh random producer id and returns the id. */
  static byte[] create(Path dir, String key) throws IOException {
    byte[] producerId = new byte[PRODUCER_ID_LENGTH];
    new SecureRandom().nextBytes(producerId);
    byte[] keyBytes = key.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer buf = ByteBuffer.allocate(META_FIXED_LENGTH + keyBytes.length + 4)
        .putInt(META_MAGIC).putInt(META_VERSION).put(producerId)
        .putShort((short) keyBytes.length).put(keyBytes);
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, buf.position());
    buf.putInt((int) crc.getValue()).flip();
    Path temp = dir.resolve(TEMP);
    try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.move(temp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
    FileOutboxes.syncDirectory(dir);
    return producerId;
  }

  /** Reads and verifies the meta file of {@code dir}; returns the producer id. */
  static byte[] read(Path dir, String key) throws IOException {
    Path file = dir.resolve(FILE);
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file));
    int keyLength = buf.limit() >= META_FIXED_LENGTH ? buf.getShort(META_FIXED_LENGTH - 2) : -1;
    if (keyLength < 0 || buf.limit() != META_FIXED_LENGTH + keyLength + 4) {
      throw new StoreCorruptedException(file, "meta file of " + buf.limit()
          + " bytes (expected: " + (META_FIXED_LENGTH + key.length() + 4) + ")");
    }
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, buf.limit() - 4);
    if (buf.getInt(buf.limit() - 4) != (int) crc.getValue()) {
      throw new StoreCorruptedException(file, "meta file checksum mismatch");
    }
    if (buf.getInt(0) != META_MAGIC || buf.getInt(4) != META_VERSION) {
      throw new StoreCorruptedException(file, "bad meta header (expected: magic "
          + Integer.toHexString(META_MAGIC) + ", version " + META_VERSION + ")");
    }
    String stored = new String(buf.array(), META_FIXED_LENGTH, keyLength,
        StandardCharsets.US_ASCII);
    if (!stored.equals(key)) {
      throw new StoreCorruptedException(file, "meta file names key \"" + stored
          + "\" (expected: \"" + key + "\")");
    }
    byte[] producerId = new byte[PRODUCER_ID_LENGTH];
    buf.get(8, producerId);
    return producerId;
  }
}
