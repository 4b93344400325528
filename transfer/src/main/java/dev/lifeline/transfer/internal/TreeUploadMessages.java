package dev.lifeline.transfer.internal;

import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The messages of a tree upload and the receiver's checkpoint state; conventions as in {@link
 * TreeMessages}. Every message names its file, so either side can tell whether a message
 * continues what it holds after a restart, a rewind or a checkpoint that crossed a rewind.
 *
 * <pre>
 *  client → server
 *   TREE_FILE   0x11  u8 kind (0 file, 1 directory) | u64 size | u64 mtimeMillis | str16 name
 *   TREE_CHUNK  0x12  str16 name | u64 offset | file bytes   (offset a multiple of CHUNK_BYTES)
 *   TREE_END    0x13  u8 flags (1 = abandon: the file changed while sent) | sha256[32]
 *                     | str16 name
 *   SET_END     0x14  u32 round | u32 files sent            (answered by SET_DONE once durable)
 *  server → client
 *   FILE_DONE   0x92  sha256[32] | str16 name                (stored and verified)
 *   FILE_ERROR  0x93  u8 reason | str16 name | str16 message (that file only; the set goes on)
 *   SET_DONE    0x94  u32 round | u32 files stored in this session
 *   NEED        0x95  u64 offset | str16 name                (send this file again from offset)
 *
 *  checkpoint state (TreeUploadReceiver.STATE_VERSION first)
 *   u8 0x21 | u32 files stored | u32 last SET_END round answered | u64 size | u64 mtime
 *   | u64 offset | sha256[32] of the durable prefix | str16 name of the file in progress ("" =
 *   between files)
 * </pre>
 */
final class TreeUploadMessages {
  private TreeUploadMessages() {}

  static final byte FILE_DONE = (byte) 0x92;
  static final byte FILE_ERROR = (byte) 0x93;
  static final byte SET_DONE = (byte) 0x94;
  static final byte NEED = (byte) 0x95;

  static final byte KIND_FILE = 0;
  static final byte KIND_DIR = 1;
  static final byte FLAG_ABANDON = 1;

  /** TREE_CHUNK bytes before the file's: type, name length, the longest name, offset. */
  static final int CHUNK_HEADER_MAX = 1 + 2 + FileNames.MAX_TREE_BYTES + 8;

  static byte[] file(byte kind, long size, long mtime, String name) {
    byte[] n = utf8(name);
    return ByteBuffer.allocate(1 + 1 + 16 + 2 + n.length).put(TreeMessages.TREE_FILE).put(kind)
        .putLong(size).putLong(mtime).putShort((short) n.length).put(n).array();
  }

  /** Starts a TREE_CHUNK in {@code b}; the caller appends the file bytes. */
  static void chunkHeader(ByteBuffer b, byte[] name, long offset) {
    b.put(TreeMessages.TREE_CHUNK).putShort((short) name.length).put(name).putLong(offset);
  }

  static byte[] end(boolean abandon, byte[] sha, String name) {
    byte[] n = utf8(name);
    return ByteBuffer.allocate(1 + 1 + TransferDescriptor.SHA_BYTES + 2 + n.length)
        .put(TreeMessages.TREE_END).put(abandon ? FLAG_ABANDON : 0).put(sha)
        .putShort((short) n.length).put(n).array();
  }

  static byte[] setEnd(int round, int files) {
    return ByteBuffer.allocate(9).put(TreeMessages.SET_END).putInt(round).putInt(files).array();
  }

  static byte[] fileDone(byte[] sha, String name) {
    byte[] n = utf8(name);
    return ByteBuffer.allocate(1 + TransferDescriptor.SHA_BYTES + 2 + n.length).put(FILE_DONE)
        .put(sha).putShort((short) n.length).put(n).array();
  }

  static byte[] fileError(Reason reason, String name, String message) {
    byte[] n = utf8(name);
    byte[] m = utf8(message);
    if (m.length > 1024) {
      m = java.util.Arrays.copyOf(m, 1024);
    }
    return ByteBuffer.allocate(1 + 1 + 2 + n.length + 2 + m.length).put(FILE_ERROR)
        .put((byte) reason.ordinal()).putShort((short) n.length).put(n)
        .putShort((short) m.length).put(m).array();
  }

  static byte[] setDone(int round, int files) {
    return ByteBuffer.allocate(9).put(SET_DONE).putInt(round).putInt(files).array();
  }

  static byte[] need(long offset, String name) {
    byte[] n = utf8(name);
    return ByteBuffer.allocate(1 + 8 + 2 + n.length).put(NEED).putLong(offset)
        .putShort((short) n.length).put(n).array();
  }

  /** A tree name in a message; longer than any tree name is malformed. */
  static String name(ByteBuffer b) throws TransferException {
    return TransferDescriptor.str16(b, FileNames.MAX_TREE_BYTES);
  }

  /** A str16 name read from a chunk's pieces, which are not one buffer. */
  static String name(Pieces p) throws TransferException {
    int n = ((p.get() & 0xff) << 8) | (p.get() & 0xff);
    if (n > FileNames.MAX_TREE_BYTES || n > p.remaining()) {
      throw new TransferException(Reason.INVALID_NAME,
          "name of " + n + " bytes (expected: <= " + FileNames.MAX_TREE_BYTES + ")");
    }
    byte[] bytes = new byte[n];
    for (int i = 0; i < n; i++) {
      bytes[i] = p.get();
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The receiver's checkpoint state: how many files it stored, the last SET_END it answered,
   * and the file in progress (empty name between files) with its durable prefix.
   */
  record State(int filesDone, int round, long size, long mtime, long offset, byte[] prefixSha,
      String name) {
    byte[] encode() {
      byte[] n = utf8(name);
      return ByteBuffer.allocate(1 + 8 + 24 + TransferDescriptor.SHA_BYTES + 2 + n.length)
          .put(TreeUploadReceiver.STATE_VERSION).putInt(filesDone).putInt(round).putLong(size)
          .putLong(mtime).putLong(offset).put(prefixSha).putShort((short) n.length).put(n)
          .array();
    }

    /** The state in a checkpoint; null for an empty one or one that is not a tree upload's. */
    static State decode(byte[] bytes) {
      if (bytes.length == 0 || bytes[0] != TreeUploadReceiver.STATE_VERSION) {
        return null;
      }
      ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
      int files = b.getInt();
      int round = b.getInt();
      long size = b.getLong();
      long mtime = b.getLong();
      long offset = b.getLong();
      byte[] sha = TransferDescriptor.sha(b);
      byte[] n = new byte[b.getShort() & 0xffff];
      b.get(n);
      return new State(files, round, size, mtime, offset, sha,
          new String(n, StandardCharsets.UTF_8));
    }

    boolean between() {
      return name.isEmpty();
    }
  }
}
