package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one download: answers each DOWNLOAD request with META and streams CHUNKs from the
 * requested offset on a sender thread. A new request (the client came back after a restart) or a
 * rewind stops the current stream; the client then asks again from its durable offset.
 */
final class DownloadSender {
  private static final Logger log = LoggerFactory.getLogger(DownloadSender.class);

  // A client's checkpoint is never further ahead of the restarted stream than the messages an
  // earlier run of the download sent; this bounds what a hostile request can make us send.
  private static final long MAX_PADS = 1L << 24;

  private final Session session;
  private final TransferService service;
  private final AtomicInteger generation = new AtomicInteger();
  // The file being sent and how far the client acknowledged it, for progress().
  private volatile String name;
  private volatile long size;
  private final java.util.concurrent.atomic.AtomicLong acked = new java.util.concurrent.atomic.AtomicLong();

  DownloadSender(Session session, TransferService service) {
    this.session = session;
    this.service = service;
  }

  void request(ByteBuffer m) throws Exception {
    long offset = m.getLong();
    String name;
    Path path;
    long size;
    byte[] sha;
    long mtime;
    try {
      name = TransferDescriptor.str16(m, FileNames.MAX_BYTES * 4);
      path = FileNames.resolve(service.filesDir(), name);
      size = Files.size(path);
      mtime = Files.getLastModifiedTime(path).toMillis();
      sha = service.checksums().of(path);
    } catch (TransferException e) {
      TransferService.trySendAfterRewind(session,
          TransferDescriptor.error(e.reason(), e.getMessage()));
      return;
    } catch (NoSuchFileException e) {
      TransferService.trySendAfterRewind(session, TransferDescriptor.error(Reason.NOT_FOUND,
          "no complete file named " + FileNames.printable(e.getFile() == null ? ""
              : Path.of(e.getFile()).getFileName().toString())));
      return;
    }
    if (offset < 0 || offset > size) {
      offset = 0;
    }
    // Optional (older clients do not send it): the first message the client will deliver.
    long firstSeq = m.remaining() >= 8 ? m.getLong() : 0;
    int gen = generation.incrementAndGet();
    long start = offset;
    service.senders().execute(() -> {
      try {
        if (pad(gen, firstSeq)) {
          stream(gen, path, name, size, mtime, sha, start);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  /**
   * Sends PADs until the next message is numbered {@code firstSeq}: the client's checkpoint may
   * have landed after its RESUME named an older one, and it drops what this side numbers up to it
   * as covered (docs/protocol.md "A checkpoint that crosses a rewind"). Without this the META and
   * first chunks of a download continued after a server restart were dropped, and it stalled.
   * False if the stream was stopped, or the gap is not one a real client can cause.
   */
  private boolean pad(int gen, long firstSeq) throws InterruptedException {
    long gap = firstSeq - 1 - session.handedOver();
    if (gap > MAX_PADS) {
      log.info("session {}: DOWNLOAD asks to start at message {}, {} after this side's; refused",
          session.id(), firstSeq, gap);
      try {
        TransferService.trySendAfterRewind(session, TransferDescriptor.error(Reason.IO_ERROR,
            "DOWNLOAD names a first message far beyond what this server sent"));
      } catch (LifelineException ignored) {
        // the session is gone
      }
      return false;
    }
    byte[] pad = {TreeMessages.PAD};
    while (session.handedOver() + 1 < firstSeq) {
      if (send(gen, ByteBuffer.wrap(pad)) == null) {
        return false;
      }
    }
    return true;
  }

  /** Where the download stands (bytes the client acknowledged), or null before it started. */
  dev.lifeline.transfer.TransferProgress progress() {
    String n = name;
    return n == null ? null : new dev.lifeline.transfer.TransferProgress(session.id(),
        dev.lifeline.transfer.TransferProgress.Direction.DOWNLOAD, n, size, acked.get());
  }

  void stop() {
    generation.incrementAndGet();
  }

  private void stream(int gen, Path path, String name, long size, long mtime, byte[] sha,
      long offset) {
    try (FileChannel file = FileChannel.open(path, StandardOpenOption.READ)) {
      if (send(gen, ByteBuffer.wrap(TransferDescriptor.meta(size, mtime, sha))) == null) {
        return;
      }
      ChunkBuffers buffers = service.chunkBuffers();
      long pos = offset;
      this.size = size;
      this.acked.set(pos);
      this.name = name;
      while (pos < size && generation.get() == gen) {
        int n = (int) Math.min(TransferDescriptor.CHUNK_BYTES, size - pos);
        ByteBuffer chunk = buffers.readChunk(file, pos, n);
        if (chunk == null) {
          throw new IOException(path + " shrank while being sent");
        }
        long end = pos + n;
        CompletableFuture<Void> sent = send(gen, chunk);
        if (sent == null) {
          buffers.give(chunk);
          return;
        }
        buffers.giveWhenDone(sent, chunk);
        // Acknowledged by the client: what the status page shows as done.
        sent.thenRun(() -> acked.accumulateAndGet(end, Math::max));
        pos += n;
      }
      log.info("session {}: sent {} from byte {}", session.id(), FileNames.printable(name),
          offset);
    } catch (IOException e) {
      log.warn("session {}: download of {} failed: {}", session.id(), FileNames.printable(name),
          e.toString());
      try {
        TransferService.trySendAfterRewind(session,
            TransferDescriptor.error(Reason.IO_ERROR, e.getMessage()));
      } catch (LifelineException ignored) {
        // the session is gone
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends unless this stream was stopped; the send's future, or null if not sent. */
  private CompletableFuture<Void> send(int gen, ByteBuffer message) throws InterruptedException {
    if (generation.get() != gen) {
      return null;
    }
    try {
      try {
        return session.send(message);
      } catch (StreamRewoundException e) {
        // The client lost what we sent and asks again from its durable offset; that request
        // stops this stream (a new generation). Until it arrives, going on costs nothing: the
        // client drops chunks that do not follow what it holds.
        return session.send(message);
      }
    } catch (LifelineException e) {
      return null;
    }
  }
}
