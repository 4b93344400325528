package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import dev.lifeline.transfer.TransferProgress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of a tree download: answers each GET ({@link TreeGetCodec}) with, per name,
 * TREE_META and TREE_DCHUNKs (256 KiB, at multiples of 256 KiB), or TREE_FERROR for that file
 * alone, and GET_END after the last part of the request. Files are streamed on the service's
 * sender threads, one request part after the other, never on the session's thread.
 *
 * <p>A GET that starts a request stops the stream of the one before (a generation counter): the
 * client asks anew from its durable state after a restart of either side, so anything still
 * queued for the old request is waste. A rewind of the outbound stream stops it too; the client
 * learns of the same rewind and asks again. Before the first message of an answer, PADs fill the
 * gap up to the first sequence number the client will deliver (docs/trees.md).
 */
final class TreeDownloadSender implements ServerTree {
  private static final Logger log = LoggerFactory.getLogger(TreeDownloadSender.class);
  /** Chunk buffers of all tree downloads in the process; few are kept idle. */
  private static final ChunkBuffers BUFFERS = new ChunkBuffers(
      TreeGetCodec.CHUNK_HEADER + TransferDescriptor.CHUNK_BYTES, 128);
  private static final byte[] PAD = {TreeMessages.PAD};

  private final Session session;
  private final TransferService service;
  private final AtomicInteger generation = new AtomicInteger();
  // Request parts run one after the other on the sender threads. Session thread only.
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
  // Files numbered across the parts of the current request. Sender threads, one at a time.
  private int nextFile;
  // For progress(): the file being sent and how far.
  private volatile String current;
  private volatile long currentSize;
  private final AtomicLong sent = new AtomicLong();

  TreeDownloadSender(Session session, TransferService service) {
    this.session = session;
    this.service = service;
  }

  @Override
  public void message(long seq, byte type, Pieces m) throws Exception {
    TreeGetCodec.Get get;
    try {
      get = TreeGetCodec.get(m.flatten());
    } catch (TransferException e) {
      throw new IllegalStateException("malformed GET: " + e.getMessage(), e);
    }
    int gen = get.first() ? generation.incrementAndGet() : generation.get();
    tail = tail.handleAsync((v, e) -> {
      answer(gen, get);
      return null;
    }, service.senders());
  }

  private void answer(int gen, TreeGetCodec.Get get) {
    try {
      if (get.first()) {
        nextFile = 0;
        // A client checkpoint that crossed the rewind drops our messages up to it as covered.
        long pads = 0;
        while (generation.get() == gen && session.handedOver() + 1 < get.firstSeq()) {
          send(gen, ByteBuffer.wrap(PAD));
          pads++;
        }
        if (pads > 0) {
          log.info("session {}: {} PADs up to sequence {}, where the client continues",
              session.id(), pads, get.firstSeq());
        }
      }
      long offset = get.first() ? get.offset() : 0;
      for (String name : get.names()) {
        if (generation.get() != gen) {
          return;
        }
        sendFile(gen, get.request(), nextFile++, name, offset);
        offset = 0;
      }
      if (get.last()) {
        send(gen, ByteBuffer.wrap(TreeGetCodec.end(get.request())));
        log.info("session {}: tree download request {} answered", session.id(),
            get.request());
      }
    } catch (LifelineException e) {
      generation.incrementAndGet(); // the session is over
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** META and the chunks of one file from {@code offset}, or FERROR; never throws for a file. */
  private void sendFile(int gen, int request, int fileNo, String name, long offset)
      throws LifelineException, InterruptedException {
    Path path;
    try {
      path = FileNames.resolveTree(service.filesDir(), name);
    } catch (TransferException e) {
      send(gen, ByteBuffer.wrap(TreeGetCodec.error(request, e.reason(), name, e.getMessage())));
      return;
    }
    if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
      send(gen, ByteBuffer.wrap(TreeGetCodec.error(request, Reason.NOT_FOUND, name,
          "no complete file named " + FileNames.printable(name))));
      return;
    }
    try (FileChannel file = FileChannel.open(path, StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)) {
      long size = file.size();
      long mtime = Files.getLastModifiedTime(path).toMillis();
      byte[] sha = service.checksums().of(path);
      if (send(gen, ByteBuffer.wrap(TreeGetCodec.meta(request, fileNo, size, mtime, sha, name)))
          == null) {
        return;
      }
      current = name;
      currentSize = size;
      long pos = offset < 0 || offset > size ? 0
          : offset / TransferDescriptor.CHUNK_BYTES * TransferDescriptor.CHUNK_BYTES;
      sent.set(pos);
      while (pos < size && generation.get() == gen) {
        int n = (int) Math.min(TransferDescriptor.CHUNK_BYTES, size - pos);
        ByteBuffer chunk = read(file, request, fileNo, pos, n);
        CompletableFuture<Void> f = send(gen, chunk);
        if (f == null) {
          BUFFERS.give(chunk);
          return;
        }
        BUFFERS.giveWhenDone(f, chunk);
        pos += n;
        sent.set(pos);
      }
    } catch (IOException e) {
      log.warn("session {}: cannot send {}: {}", session.id(), FileNames.printable(name),
          e.toString());
      send(gen, ByteBuffer.wrap(TreeGetCodec.error(request, Reason.IO_ERROR, name,
          "cannot read " + FileNames.printable(name) + ": " + e.getMessage())));
    }
  }

  private static ByteBuffer read(FileChannel file, int request, int fileNo, long pos, int n)
      throws IOException {
    ByteBuffer b = BUFFERS.take();
    b.put(TreeGetCodec.DCHUNK).putInt(request).putInt(fileNo).putLong(pos)
        .limit(TreeGetCodec.CHUNK_HEADER + n);
    while (b.hasRemaining()) {
      if (file.read(b, pos + b.position() - TreeGetCodec.CHUNK_HEADER) < 0) {
        BUFFERS.give(b);
        throw new IOException("the file shrank while being sent");
      }
    }
    return b.flip();
  }

  /** Sends unless this stream was stopped; the send's future, or null if not sent. */
  private CompletableFuture<Void> send(int gen, ByteBuffer message)
      throws LifelineException, InterruptedException {
    if (generation.get() != gen) {
      return null;
    }
    try {
      return session.send(message);
    } catch (StreamRewoundException e) {
      // The client lost what we sent and asks again; its GET stops this stream. Until it
      // arrives, going on costs little: the client drops what does not follow what it holds.
      return session.send(message);
    }
  }

  @Override
  public void onInboundRewind(Checkpoint checkpoint) {
    // The client sends GET again after any rewind; nothing is kept from its messages.
  }

  @Override
  public void onOutboundRewind(Checkpoint checkpoint) {
    generation.incrementAndGet();
  }

  @Override
  public void onClosed(Throwable cause) {
    generation.incrementAndGet();
  }

  @Override
  public TransferProgress progress() {
    String n = current;
    return n == null ? null : new TransferProgress(session.id(),
        TransferProgress.Direction.DOWNLOAD, n, currentSize, sent.get());
  }
}
