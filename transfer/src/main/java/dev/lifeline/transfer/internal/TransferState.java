package dev.lifeline.transfer.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The checkpoint state of a transfer's receiver: which file, how much of it is durable, and the
 * SHA-256 of that prefix (so a sender that rewinds can tell whether its file still starts with
 * the same bytes).
 *
 * <pre>
 *  u8 version | u8 flags (1 = done) | u64 size | u64 mtime | u64 offset
 *  | sha256[32] of the durable prefix | sha256[32] of the whole file (zero until known)
 *  | str16 name
 * </pre>
 */
record TransferState(String name, long size, long mtime, long offset, byte[] prefixSha,
    byte[] fileSha, boolean done) {
  private static final int VERSION = 1;

  byte[] encode() {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + 24 + 64 + 2 + n.length)
        .put((byte) VERSION).put((byte) (done ? 1 : 0))
        .putLong(size).putLong(mtime).putLong(offset)
        .put(prefixSha).put(fileSha)
        .putShort((short) n.length).put(n).array();
  }

  /** The state in a checkpoint, or null for an empty one (nothing processed yet). */
  static TransferState decode(byte[] bytes) {
    if (bytes.length == 0) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (b.get() != VERSION) {
      throw new IllegalArgumentException("transfer checkpoint of unknown version");
    }
    boolean done = b.get() == 1;
    long size = b.getLong();
    long mtime = b.getLong();
    long offset = b.getLong();
    byte[] prefix = new byte[32];
    b.get(prefix);
    byte[] file = new byte[32];
    b.get(file);
    byte[] n = new byte[b.getShort() & 0xffff];
    b.get(n);
    return new TransferState(new String(n, StandardCharsets.UTF_8), size, mtime, offset, prefix,
        file, done);
  }
}
