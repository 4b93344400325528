package dev.lifeline.transfer.internal;

import dev.lifeline.transfer.TransferException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The file transfer's messages, carried as Lifeline session messages (each already delivered once
 * and in order). Every message starts with a type byte; integers are big endian; {@code str16} is
 * a u16 length and UTF-8 bytes.
 *
 * <pre>
 *  client → server
 *   UPLOAD    0x01  u64 size | u64 mtimeMillis | str16 name
 *   DOWNLOAD  0x02  u64 offset | str16 name [| u64 firstSeq]
 *   CHUNK     0x03  u64 offset | file bytes          (both directions)
 *   END       0x04  sha256[32] of the whole file     (uploader, after the last chunk)
 *  server → client
 *   META      0x82  u64 size | u64 mtimeMillis | sha256[32]   (answer to DOWNLOAD)
 *   DONE      0x83  sha256[32]                       (upload stored and verified)
 *   ERROR     0x84  u8 reason (TransferException.Reason ordinal) | str16 message
 *   CONTINUING 0x85 u64 offset                      (upload continues from the server's
 *                                                    checkpoint at offset, after a restart)
 * </pre>
 *
 * {@code firstSeq} (optional; newer clients send it) is the first message sequence number the
 * client will deliver: after a rewind its checkpoint may have landed beyond the one its RESUME
 * named, and the messages up to it are dropped as covered, so the server fills the gap with PADs
 * ({@link TreeMessages#PAD}) before its answer (docs/protocol.md "A checkpoint that crosses a
 * rewind").
 *
 * A receiver ignores a message type it does not know, so CONTINUING needs no negotiation: an
 * older client reads past it, an older server never sends it.
 *
 * CHUNK carries its file offset, so a receiver writes it at its place and drops what it already
 * holds: after a rewind both ends agree on bytes, not only on message numbers.
 */
public final class TransferDescriptor {
  private TransferDescriptor() {}

  public static final byte UPLOAD = 0x01;
  public static final byte DOWNLOAD = 0x02;
  public static final byte CHUNK = 0x03;
  public static final byte END = 0x04;
  public static final byte META = (byte) 0x82;
  public static final byte DONE = (byte) 0x83;
  public static final byte ERROR = (byte) 0x84;
  public static final byte CONTINUING = (byte) 0x85;

  /** File bytes per CHUNK: large enough for few messages, small enough to replay cheaply. */
  public static final int CHUNK_BYTES = 256 * 1024;
  public static final int CHUNK_HEADER = 9;
  public static final int SHA_BYTES = 32;

  static byte[] upload(long size, long mtime, String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 16 + 2 + n.length).put(UPLOAD).putLong(size).putLong(mtime)
        .putShort((short) n.length).put(n).array();
  }

  static byte[] download(long offset, String name, long firstSeq) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 8 + 2 + n.length + 8).put(DOWNLOAD).putLong(offset)
        .putShort((short) n.length).put(n).putLong(firstSeq).array();
  }

  static byte[] end(byte[] sha) {
    return ByteBuffer.allocate(1 + SHA_BYTES).put(END).put(sha).array();
  }

  static byte[] meta(long size, long mtime, byte[] sha) {
    return ByteBuffer.allocate(1 + 16 + SHA_BYTES).put(META).putLong(size).putLong(mtime).put(sha)
        .array();
  }

  static byte[] done(byte[] sha) {
    return ByteBuffer.allocate(1 + SHA_BYTES).put(DONE).put(sha).array();
  }

  static byte[] continuing(long offset) {
    return ByteBuffer.allocate(1 + 8).put(CONTINUING).putLong(offset).array();
  }

  static byte[] error(TransferException.Reason reason, String message) {
    byte[] m = message.getBytes(StandardCharsets.UTF_8);
    if (m.length > 1024) {
      m = java.util.Arrays.copyOf(m, 1024);
    }
    return ByteBuffer.allocate(1 + 1 + 2 + m.length).put(ERROR).put((byte) reason.ordinal())
        .putShort((short) m.length).put(m).array();
  }

  /** Reads a str16 with at most {@code max} bytes. */
  static String str16(ByteBuffer b, int max) throws TransferException {
    int n = b.getShort() & 0xffff;
    if (n > max || n > b.remaining()) {
      throw new TransferException(TransferException.Reason.INVALID_NAME,
          "name of " + n + " bytes (expected: <= " + max + ")");
    }
    byte[] bytes = new byte[n];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static byte[] sha(ByteBuffer b) {
    byte[] s = new byte[SHA_BYTES];
    b.get(s);
    return s;
  }

  /** The exception an ERROR message (type byte already read) describes. */
  static TransferException errorOf(ByteBuffer m) {
    TransferException.Reason reason = reason(m.get());
    String message;
    try {
      message = str16(m, 4096);
    } catch (TransferException | RuntimeException e) {
      message = "(unreadable message)";
    }
    return new TransferException(reason, "server: " + message);
  }

  static TransferException.Reason reason(int ordinal) {
    TransferException.Reason[] all = TransferException.Reason.values();
    return ordinal >= 0 && ordinal < all.length ? all[ordinal] : TransferException.Reason.IO_ERROR;
  }
}
