package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TreeListener;
import dev.lifeline.transfer.internal.TreeUploadWalk.Item;
import dev.lifeline.transfer.internal.TreeUploadWalk.Item.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;

/**
 * Sends one item of a tree upload: TREE_FILE, the file's TREE_CHUNKs read straight into direct
 * buffers (reused once the session is done with them) and hashed as they go, then TREE_END.
 * Chunk boundaries are multiples of {@link TransferDescriptor#CHUNK_BYTES} from byte zero, so a
 * file sent again from an offset repeats the same messages.
 *
 * <p>A file whose size or modification time changed while it was sent is not committed: its
 * TREE_END says "abandon", and it is sent again at the end of the set, at most {@link
 * #MAX_SENDS} times in all.
 */
final class TreeUploadSender {
  static final int MAX_SENDS = 3;

  private final TreeUpload upload;
  private final TreeListener listener;
  private final ChunkBuffers buffers = new ChunkBuffers(
      TreeUploadMessages.CHUNK_HEADER_MAX + TransferDescriptor.CHUNK_BYTES, 64);
  private long resentBytes;

  TreeUploadSender(TreeUpload upload, TreeListener listener) {
    this.upload = upload;
    this.listener = listener;
  }

  /** File bytes sent more than once (changed files, files a server asked for again). */
  long resentBytes() {
    return resentBytes;
  }

  void send(Session session, Item i)
      throws TreeUpload.Rewind, TransferException, InterruptedException {
    if (i.directory) {
      upload.send(session, ByteBuffer.wrap(TreeUploadMessages.file(TreeUploadMessages.KIND_DIR,
          0, i.mtime, i.name)));
      upload.finish(i, Status.DONE, null, null);
      return;
    }
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(i.path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      upload.finish(i, Status.FAILED, null, e instanceof NoSuchFileException
          ? "it vanished before it was sent" : "cannot read it: " + e);
      return;
    }
    if (!a.isRegularFile()) {
      upload.finish(i, Status.FAILED, null, "it is no longer a regular file");
      return;
    }
    try (FileChannel file = FileChannel.open(i.path, StandardOpenOption.READ)) {
      sendFile(session, i, file, a.size(), a.lastModifiedTime().toMillis());
    } catch (IOException e) {
      upload.finish(i, Status.FAILED, null, "cannot read it: " + e.getMessage());
    }
  }

  private void sendFile(Session session, Item i, FileChannel file, long size, long mtime)
      throws IOException, TreeUpload.Rewind, TransferException, InterruptedException {
    MessageDigest digest = Hashing.sha256();
    long offset = startOffset(i, file, size, mtime);
    if (offset > 0) {
      digest = Hashing.prefix(file, offset);
    }
    boolean again = i.sends++ > 0;
    i.size = size;
    i.mtime = mtime;
    byte[] name = TreeUploadMessages.utf8(i.name);
    upload.send(session, ByteBuffer.wrap(TreeUploadMessages.file(TreeUploadMessages.KIND_FILE,
        size, mtime, i.name)));
    long first = offset;
    boolean shrank = false;
    while (offset < size) {
      int n = (int) Math.min(TransferDescriptor.CHUNK_BYTES
          - offset % TransferDescriptor.CHUNK_BYTES, size - offset);
      ByteBuffer chunk = readChunk(file, name, offset, n);
      if (chunk == null) {
        shrank = true;
        break;
      }
      // Hashed before it is sent: from then on the buffer is the session's to read.
      digest.update(chunk.duplicate().position(chunk.limit() - n));
      CompletableFuture<Void> sent;
      try {
        sent = upload.send(session, chunk);
      } catch (TreeUpload.Rewind e) {
        give(chunk);
        throw e;
      }
      if (chunk.isDirect()) {
        buffers.giveWhenDone(sent, chunk);
      }
      offset += n;
      if (again) {
        resentBytes += n;
      }
      upload.progressed(n);
      upload.drainEvents();
      if (i.status == Status.FAILED) {
        // Refused by the server meanwhile (FILE_ERROR: too large, exists...): it ignores the
        // rest of this file's chunks, so they are not sent; marking it SENT below made the end of
        // the set send the whole file again and report it twice.
        return;
      }
    }
    if (i.status == Status.FAILED) {
      return;
    }
    BasicFileAttributes now = Files.readAttributes(i.path, BasicFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS);
    if (shrank || now.size() != size || now.lastModifiedTime().toMillis() != mtime) {
      abandon(session, i, offset - first);
      return;
    }
    i.sha = digest.digest();
    i.status = Status.SENT;
    upload.send(session, ByteBuffer.wrap(TreeUploadMessages.end(false, i.sha, i.name)));
  }

  /**
   * Where this send starts: the offset of a checkpoint if the file is still the one it
   * described (same size, time and prefix SHA-256), the offset a NEED asked for, else zero.
   */
  private long startOffset(Item i, FileChannel file, long size, long mtime) throws IOException {
    long from = i.from;
    byte[] fromSha = i.fromSha;
    i.from = 0;
    i.fromSha = null;
    if (from <= 0 || from > size) {
      return 0;
    }
    if (fromSha == null) {
      return from; // asked for by the server, which verifies the whole file at its end
    }
    if (i.fromSize == size && i.fromMtime == mtime
        && MessageDigest.isEqual(Hashing.peek(Hashing.prefix(file, from)), fromSha)) {
      return from;
    }
    listener.notice(i.name + " changed since the server's checkpoint at byte " + from
        + "; sending it from the start");
    return 0;
  }

  /** The file changed while it was sent: not committed; sent again later, or failed. */
  private void abandon(Session session, Item i, long sentBytes)
      throws TreeUpload.Rewind, TransferException, InterruptedException {
    upload.send(session, ByteBuffer.wrap(TreeUploadMessages.end(true,
        new byte[TransferDescriptor.SHA_BYTES], i.name)));
    upload.progressed(-sentBytes);
    i.attempts++;
    if (i.attempts >= MAX_SENDS) {
      upload.finish(i, Status.FAILED, null, "it kept changing while it was sent ("
          + MAX_SENDS + " times)");
      return;
    }
    listener.notice(i.name + " changed while it was sent; sending it again at the end");
    upload.requeue(i, 0);
  }

  /**
   * A TREE_CHUNK with {@code length} bytes of the file at {@code offset}; null if it ended. A full
   * chunk goes in a reused direct buffer; a short one (a small file, a file's tail) in a heap
   * buffer of its size: the replay buffer counts message bytes, so thousands of small files can
   * be in flight at once, and a 260 KiB direct buffer each made the JVM stall collecting direct
   * memory.
   */
  private ByteBuffer readChunk(FileChannel file, byte[] name, long offset, int length)
      throws IOException {
    ByteBuffer b = length == TransferDescriptor.CHUNK_BYTES ? buffers.take()
        : ByteBuffer.allocate(1 + 2 + name.length + 8 + length);
    TreeUploadMessages.chunkHeader(b, name, offset);
    int header = b.position();
    b.limit(header + length);
    while (b.hasRemaining()) {
      if (file.read(b, offset + b.position() - header) < 0) {
        give(b);
        return null;
      }
    }
    return b.flip();
  }

  private void give(ByteBuffer b) {
    if (b.isDirect()) {
      buffers.give(b);
    }
  }

  /** The SHA-256 of the local file, or null (the item failed) if it cannot be read. */
  byte[] hashOf(Item i) {
    try (FileChannel f = FileChannel.open(i.path, StandardOpenOption.READ)) {
      return Hashing.prefix(f, i.size).digest();
    } catch (IOException e) {
      upload.finish(i, Status.FAILED, null, "cannot read it: " + e.getMessage());
      return null;
    }
  }
}
