package dev.lifeline.transfer.internal;

import dev.lifeline.transfer.TransferException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages of a tree download ({@link TreeDownload}, {@link TreeDownloadSender}).
 *
 * <pre>
 *  GET          0x15  u32 request | u8 flags (1 first part, 2 last part) | u64 firstSeq
 *                     | u64 offset (in the first name) | u32 count | count × str16 name
 *  TREE_META    0x96  u32 request | u32 file | u64 size | u64 mtime | sha256[32] | str16 name
 *  TREE_DCHUNK  0x97  u32 request | u32 file | u64 offset | bytes
 *  TREE_FERROR  0x98  u32 request | u8 reason | str16 name | str16 message
 *  GET_END      0x99  u32 request
 * </pre>
 *
 * A request is split over several GETs when its names are many (all but the first continue it);
 * a first part stops the stream of any request before. {@code file} numbers the files of one
 * answer in the order sent, so a chunk can never be taken for a chunk of another file, whatever
 * got lost or dropped between its META and it; files are still asked for by name only.
 */
final class TreeGetCodec {
  private TreeGetCodec() {}

  static final byte META = (byte) 0x96;
  static final byte DCHUNK = (byte) 0x97;
  static final byte FERROR = (byte) 0x98;
  static final byte GET_END = (byte) 0x99;

  static final int FIRST = 1;
  static final int LAST = 2;
  /** Type, request, file, offset. */
  static final int CHUNK_HEADER = 1 + 4 + 4 + 8;
  /** Names per GET are cut at about this many bytes. */
  static final int GET_BYTES = 64 * 1024;

  /** One GET, decoded. */
  record Get(int request, int flags, long firstSeq, long offset, List<String> names) {
    boolean first() {
      return (flags & FIRST) != 0;
    }

    boolean last() {
      return (flags & LAST) != 0;
    }
  }

  /** The GET messages of one request: {@code offset} applies to the first name. */
  static List<byte[]> gets(int request, long firstSeq, long offset, List<String> names) {
    List<byte[]> out = new ArrayList<>();
    int i = 0;
    do {
      List<byte[]> part = new ArrayList<>();
      int bytes = 1 + 4 + 1 + 8 + 8 + 4;
      while (i < names.size() && (part.isEmpty() || bytes < GET_BYTES)) {
        byte[] n = names.get(i++).getBytes(StandardCharsets.UTF_8);
        part.add(n);
        bytes += 2 + n.length;
      }
      int flags = (out.isEmpty() ? FIRST : 0) | (i == names.size() ? LAST : 0);
      ByteBuffer b = ByteBuffer.allocate(bytes).put(TreeMessages.GET).putInt(request)
          .put((byte) flags).putLong(firstSeq).putLong(out.isEmpty() ? offset : 0)
          .putInt(part.size());
      for (byte[] n : part) {
        b.putShort((short) n.length).put(n);
      }
      out.add(b.array());
    } while (i < names.size());
    return out;
  }

  /** A GET whose type byte was read. */
  static Get get(ByteBuffer m) throws TransferException {
    int request = m.getInt();
    int flags = m.get();
    long firstSeq = m.getLong();
    long offset = m.getLong();
    int count = m.getInt();
    if (count < 0 || count > m.remaining() / 2) {
      throw new TransferException(TransferException.Reason.INVALID_NAME, "malformed GET");
    }
    List<String> names = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      names.add(TransferDescriptor.str16(m, FileNames.MAX_TREE_BYTES * 4));
    }
    return new Get(request, flags, firstSeq, offset, names);
  }

  static byte[] meta(int request, int file, long size, long mtime, byte[] sha, String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 8 + 16 + TransferDescriptor.SHA_BYTES + 2 + n.length)
        .put(META).putInt(request).putInt(file).putLong(size).putLong(mtime).put(sha)
        .putShort((short) n.length).put(n).array();
  }

  /** A TREE_META, decoded. */
  record Meta(int request, int file, long size, long mtime, byte[] sha, String name) {}

  /** A TREE_META whose type byte was read. */
  static Meta meta(ByteBuffer b) throws TransferException {
    int request = b.getInt();
    int file = b.getInt();
    long size = b.getLong();
    long mtime = b.getLong();
    byte[] sha = TransferDescriptor.sha(b);
    return new Meta(request, file, size, mtime, sha,
        TransferDescriptor.str16(b, FileNames.MAX_TREE_BYTES * 4));
  }

  /** A TREE_FERROR, decoded. */
  record FileError(int request, TransferException.Reason reason, String name, String message) {}

  /** A TREE_FERROR whose type byte was read. */
  static FileError fileError(ByteBuffer b) throws TransferException {
    int request = b.getInt();
    TransferException.Reason reason = TransferDescriptor.reason(b.get());
    String name = TransferDescriptor.str16(b, FileNames.MAX_TREE_BYTES * 4);
    return new FileError(request, reason, name, TransferDescriptor.str16(b, 4096));
  }

  static byte[] error(int request, TransferException.Reason reason, String name, String message) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    byte[] t = message.getBytes(StandardCharsets.UTF_8);
    if (t.length > 1024) {
      t = java.util.Arrays.copyOf(t, 1024);
    }
    return ByteBuffer.allocate(1 + 4 + 1 + 2 + n.length + 2 + t.length).put(FERROR)
        .putInt(request).put((byte) reason.ordinal()).putShort((short) n.length).put(n)
        .putShort((short) t.length).put(t).array();
  }

  static byte[] end(int request) {
    return ByteBuffer.allocate(5).put(GET_END).putInt(request).array();
  }
}
