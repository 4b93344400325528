package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionMovedException;
import dev.lifeline.internal.session.PiecewiseHandler;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferException;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of file transfer. A session carries one transfer: its first message says
 * whether it is an upload ({@link UploadReceiver}) or a download ({@link DownloadSender}).
 * Complete files live in the files directory; uploads in progress under {@code .partial/}, named
 * by session id, and move into place only once complete and verified.
 */
public final class TransferService implements SessionHandler, PiecewiseHandler {
  private static final Logger log = LoggerFactory.getLogger(TransferService.class);

  private final Path filesDir;
  private final Path partialDir;
  private final long maxFileSize;
  private final long checkpointBytes;
  private final long checkpointNanos;
  private final Checksums checksums;
  private final ExecutorService senders = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "lifeline-download");
    t.setDaemon(true);
    return t;
  });
  // Retries of checkpoints the store could not take (e.g. a shared store briefly unreachable).
  private final java.util.concurrent.ScheduledExecutorService retries =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lifeline-checkpoint-retry");
        t.setDaemon(true);
        return t;
      });
  // Up to 64 MiB of idle chunk buffers kept for the next download (a demo server's replay
  // buffer holds as much for one download).
  private final ChunkBuffers chunkBuffers = ChunkBuffers.forChunks(256);
  private final Map<String, Object> transfers = new ConcurrentHashMap<>();
  // Test seam: given the file size a write would reach, whether the disk is "full" for it.
  private volatile java.util.function.LongPredicate diskFull = size -> false;

  public TransferService(Path filesDir, long maxFileSize, long checkpointBytes,
      Duration checkpointInterval) throws IOException {
    this.filesDir = filesDir.toAbsolutePath().normalize();
    this.partialDir = this.filesDir.resolve(".partial");
    this.maxFileSize = maxFileSize;
    this.checkpointBytes = checkpointBytes;
    this.checkpointNanos = checkpointInterval.toNanos();
    Files.createDirectories(partialDir);
    this.checksums = new Checksums(this.filesDir.resolve(".meta"));
  }

  @Override
  public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
    receive(session, seq, new Pieces(message));
  }

  /** A large message in the pieces it arrived in: a chunk is written and hashed without a copy. */
  @Override
  public void onMessagePieces(Session session, long seq, ByteBuffer[] pieces) throws Exception {
    receive(session, seq, new Pieces(pieces));
  }

  private void receive(Session session, long seq, Pieces message) throws Exception {
    long length = message.remaining();
    byte type = length == 0 ? 0 : message.peek();
    try {
      dispatch(session, seq, message);
    } catch (BufferUnderflowException e) {
      // A message shorter than its type's fixed fields (found by TransferRequestFuzzTest): tell
      // the client what was wrong instead of ending the session with a bare underflow.
      String what = "malformed transfer message 0x" + Integer.toHexString(type & 0xff) + " of "
          + length + " bytes";
      log.info("session {}: {}; ending it", session.id(), what);
      trySendAfterRewind(session,
          TransferDescriptor.error(TransferException.Reason.IO_ERROR, what));
      throw new IllegalStateException(what);
    }
  }

  private void dispatch(Session session, long seq, Pieces message) throws Exception {
    byte type = message.get();
    Object t = transfers.get(session.id());
    if (type == TreeMessages.LIST) {
      TreeListing.answer(session, message.flatten(), this);
      return;
    }
    if (type >= TreeMessages.TREE_FILE && type <= TreeMessages.SET_END && (t == null
        || t instanceof TreeUploadReceiver)) {
      TreeUploadReceiver up = t instanceof TreeUploadReceiver u ? u : newTreeUpload(session);
      up.message(seq, type, message);
      return;
    }
    if (type == TreeMessages.GET && (t == null || t instanceof TreeDownloadSender)) {
      TreeDownloadSender down = t instanceof TreeDownloadSender d ? d
          : (TreeDownloadSender) transfers.computeIfAbsent(session.id(),
              id -> new TreeDownloadSender(session, this));
      down.message(seq, type, message);
      return;
    }
    if (type == TransferDescriptor.UPLOAD && !(t instanceof DownloadSender)) {
      UploadReceiver up = t instanceof UploadReceiver u ? u : newUpload(session);
      up.request(seq, message.flatten());
    } else if (type == TransferDescriptor.DOWNLOAD && !(t instanceof UploadReceiver)) {
      DownloadSender down = t instanceof DownloadSender d ? d : newDownload(session);
      down.request(message.flatten());
    } else if (type == TransferDescriptor.CHUNK && t instanceof UploadReceiver up) {
      up.chunk(seq, message);
    } else if (type == TransferDescriptor.END && t instanceof UploadReceiver up) {
      up.end(seq, message.flatten());
    } else {
      log.info("session {}: unexpected transfer message 0x{}; ending it", session.id(),
          Integer.toHexString(type & 0xff));
      trySendAfterRewind(session, TransferDescriptor.error(
          TransferException.Reason.IO_ERROR, "unexpected message"));
      throw new IllegalStateException("unexpected transfer message type " + type);
    }
  }

  private UploadReceiver newUpload(Session session) {
    UploadReceiver up = new UploadReceiver(session, this);
    transfers.put(session.id(), up);
    return up;
  }

  private TreeUploadReceiver newTreeUpload(Session session) {
    TreeUploadReceiver up = new TreeUploadReceiver(session, this);
    transfers.put(session.id(), up);
    return up;
  }

  private DownloadSender newDownload(Session session) {
    DownloadSender d = new DownloadSender(session, this);
    transfers.put(session.id(), d);
    return d;
  }

  @Override
  public void onInboundRewind(Session session, Checkpoint checkpoint) {
    Object t = transfers.get(session.id());
    if (t instanceof ServerTree tree) {
      tree.onInboundRewind(checkpoint);
      return;
    }
    if (TreeUploadReceiver.isTreeState(checkpoint.state())) {
      newTreeUpload(session).onInboundRewind(checkpoint);
      return;
    }
    TransferState state = TransferState.decode(checkpoint.state());
    if (t instanceof UploadReceiver up && up.isDone()) {
      // Stored already: keeps its file and its "done" checkpoint, even if the stream went back
      // to before the first checkpoint (the client would replay UPLOAD and be told EXISTS).
      up.rewind(checkpoint.position(), state);
      return;
    }
    if (state == null) {
      if (t instanceof UploadReceiver up) {
        up.discard();
      }
      transfers.remove(session.id());
      return;
    }
    UploadReceiver up = t instanceof UploadReceiver u ? u : newUpload(session);
    up.rewind(checkpoint.position(), state);
  }

  @Override
  public void onOutboundRewind(Session session, Checkpoint checkpoint) {
    Object t = transfers.get(session.id());
    if (t instanceof DownloadSender d) {
      d.stop();
    } else if (t instanceof UploadReceiver up) {
      up.outboundRewound(checkpoint);
    } else if (t instanceof ServerTree tree) {
      tree.onOutboundRewind(checkpoint);
    }
  }

  @Override
  public void onClosed(Session session, Throwable cause) {
    Object t = transfers.remove(session.id());
    if (t instanceof UploadReceiver up && cause instanceof SessionMovedException) {
      up.release(); // another node continues the upload in the shared files directory
    } else if (t instanceof UploadReceiver up) {
      up.discard();
    } else if (t instanceof DownloadSender d) {
      d.stop();
    } else if (t instanceof ServerTree tree) {
      tree.onClosed(cause);
    }
  }

  /** Removes the partial upload an expired session left behind. */
  public void discardPartial(String sessionId) {
    transfers.remove(sessionId);
    try {
      Files.deleteIfExists(partialDir.resolve(sessionId));
      // A tree upload's partial files (TreeUploadReceiver): one directory per session.
      Path tree = partialDir.resolve(sessionId + ".tree");
      if (Files.isDirectory(tree, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        try (java.util.stream.Stream<Path> s = Files.list(tree)) {
          for (Path p : (Iterable<Path>) s::iterator) {
            Files.deleteIfExists(p);
          }
        }
        Files.deleteIfExists(tree);
      }
    } catch (IOException e) {
      log.warn("could not remove partial upload of expired session {}: {}", sessionId,
          e.toString());
    }
  }

  /**
   * Whether this server accepts an upload of {@code size} bytes named {@code name}.
   *
   * @throws TransferException saying why not: INVALID_NAME, TOO_LARGE, or EXISTS (a complete
   *     file is never overwritten)
   */
  void checkUpload(String name, long size) throws TransferException {
    FileNames.resolve(filesDir, name);
    if (size < 0 || size > maxFileSize) {
      throw new TransferException(TransferException.Reason.TOO_LARGE, "file of " + size
          + " bytes is larger than this server accepts (" + maxFileSize + " bytes)");
    }
    if (Files.exists(FileNames.resolve(filesDir, name))) {
      throw new TransferException(TransferException.Reason.EXISTS, "a complete file named "
          + FileNames.printable(name) + " exists; it is never overwritten");
    }
  }

  /** Makes writes fail as on a full disk while {@code full} says so (tests only). */
  void simulateDiskFull(java.util.function.LongPredicate full) {
    this.diskFull = full;
  }

  void checkSpace(long sizeAfterWrite) throws IOException {
    if (diskFull.test(sizeAfterWrite)) {
      throw new IOException("No space left on device (simulated)");
    }
  }

  /** A snapshot of the transfers under way. */
  public java.util.List<dev.lifeline.transfer.TransferProgress> activeTransfers() {
    java.util.List<dev.lifeline.transfer.TransferProgress> out = new java.util.ArrayList<>();
    transfers.forEach((id, t) -> {
      dev.lifeline.transfer.TransferProgress p = t instanceof UploadReceiver up ? up.progress()
          : t instanceof DownloadSender d ? d.progress()
          : t instanceof ServerTree tree ? tree.progress() : null;
      if (p != null) {
        out.add(p);
      }
    });
    return out;
  }

  public Path filesDir() {
    return filesDir;
  }

  Path partialFile(String sessionId) {
    return partialDir.resolve(sessionId);
  }

  long maxFileSize() {
    return maxFileSize;
  }

  long checkpointBytes() {
    return checkpointBytes;
  }

  long checkpointNanos() {
    return checkpointNanos;
  }

  Checksums checksums() {
    return checksums;
  }

  /** Runs {@code task} on the session's ordered thread after {@code millis}. */
  void retryLater(Session session, Runnable task, long millis) {
    retries.schedule(() -> session.runInOrder(task), millis,
        java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * Sends an answer. A rewind of the outbound stream only means the peer lost earlier answers,
   * which it asks for again; this answer is still due, so it is sent after the rewind.
   */
  static CompletableFuture<Void> trySendAfterRewind(Session session, byte[] message)
      throws dev.lifeline.LifelineException {
    try {
      return session.trySend(message);
    } catch (dev.lifeline.StreamRewoundException e) {
      return session.trySend(message);
    }
  }

  ChunkBuffers chunkBuffers() {
    return chunkBuffers;
  }

  ExecutorService senders() {
    return senders;
  }
}
