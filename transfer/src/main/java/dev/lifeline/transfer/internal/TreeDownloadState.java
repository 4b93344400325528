package dev.lifeline.transfer.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A tree download's checkpoint state: the file in progress (empty name for none), how much of it
 * is durable in its temporary file, and the SHA-256 of that prefix. Every file finished before
 * the checkpoint is already in place under its name, so a re-run finds it there and skips it.
 *
 * <pre>
 *  u8 version (0x44) | u64 size | u64 mtime | u64 offset | sha256[32] of the durable prefix
 *  | sha256[32] of the whole file | u32 request | u32 file | str16 name
 * </pre>
 *
 * The request and file number are those of the META the file came with: after a restart of the
 * client the server replays the rest of that answer, whose chunks then continue the file.
 */
record TreeDownloadState(String name, long size, long mtime, long offset, byte[] prefixSha,
    byte[] fileSha, int request, int fileNo) {
  private static final byte VERSION = 0x44;
  static final TreeDownloadState NONE = new TreeDownloadState("", 0, 0, 0,
      new byte[TransferDescriptor.SHA_BYTES], new byte[TransferDescriptor.SHA_BYTES], 0, -1);

  byte[] encode() {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 24 + 64 + 8 + 2 + n.length).put(VERSION).putLong(size)
        .putLong(mtime).putLong(offset).put(prefixSha).put(fileSha).putInt(request).putInt(fileNo)
        .putShort((short) n.length).put(n).array();
  }

  /** The state in a checkpoint; {@link #NONE} for an empty one or another transfer's. */
  static TreeDownloadState decode(byte[] bytes) {
    if (bytes.length < 1 + 24 + 64 + 8 + 2 || bytes[0] != VERSION) {
      return NONE;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
    long size = b.getLong();
    long mtime = b.getLong();
    long offset = b.getLong();
    byte[] prefix = TransferDescriptor.sha(b);
    byte[] file = TransferDescriptor.sha(b);
    int request = b.getInt();
    int fileNo = b.getInt();
    byte[] n = new byte[b.getShort() & 0xffff];
    b.get(n);
    return new TreeDownloadState(new String(n, StandardCharsets.UTF_8), size, mtime, offset,
        prefix, file, request, fileNo);
  }
}
