package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.session.PiecewiseHandler;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of a download. Writes chunks into {@code TARGET.part} at their offsets, and
 * every few MiB or second makes the file durable and checkpoints it: what a re-run of this
 * process continues from. Chunks are acknowledged as they are written ({@link
 * #autoAcknowledge}). When the
 * whole file has arrived and its SHA-256 matches the server's, it is renamed to the target.
 *
 * <p>Without fsync ({@code fsync == false}) the same checkpoints are committed as soon as their
 * bytes are written (in the page cache): a killed process still continues where it stopped, but
 * after a machine crash the part file may not hold what its checkpoint describes. The prefix
 * check in {@link #startFrom} then starts the download over (with a message), and a file already
 * renamed into place may be incomplete, as any unsynced write.
 *
 * <p>Once the file is renamed into place the download is {@linkplain Phase#DONE done} and stays
 * so: a rewind or a message that arrives later (a server restart near the end, a replay) never
 * reopens {@code TARGET.part}, never asks for the file again and never moves the checkpoint back
 * from "done" (see {@link #onInboundRewind}).
 *
 * <p>The file cycle (write at the offset, hash, background fsync, checkpoint, rename) is {@link
 * ReceivingFile}'s; this class adds the download's protocol: the request, META, the server's
 * answers, and where a re-run continues. All file work happens in session callbacks, on the
 * session's ordered application thread.
 */
public final class Download implements SessionHandler, PiecewiseHandler {
  private static final Logger log = LoggerFactory.getLogger(Download.class);
  private static final long CHECKPOINT_BYTES = 16L << 20;
  private static final long CHECKPOINT_NANOS = 1_000_000_000L;

  private final LifelineClient client;
  private final String name;
  private final Path target;
  private final Path partPath;
  private final TransferListener listener;
  private final String key;
  private final CompletableFuture<byte[]> finished = new CompletableFuture<>();
  private final ReceivingFile part;
  private final DownloadRequests requests;

  /** Where the download stands. */
  private enum Phase {
    /**
     * No part file is open: a new session before {@link #run} opens it at its checkpoint, or
     * after opening or renaming it failed. Messages are ignored; the request that follows an
     * open brings everything again.
     */
    NO_FILE,
    /** Writing {@code TARGET.part}. */
    RECEIVING,
    /** The verified file is in place under its name; nothing is written any more. Final. */
    DONE
  }

  // Written on the application thread; read by the request path on the caller's thread too.
  private volatile Phase phase = Phase.NO_FILE;
  // The "done" checkpoint's state once DONE, committed again at a rewind's position.
  private byte[] doneState;

  // Confined to the session's application thread.
  private long size = -1;
  private long mtime;
  private byte[] expectedSha;
  private volatile long resumedFrom;

  Download(LifelineClient client, String server, String name, Path target,
      TransferListener listener, boolean fsync) {
    this.client = client;
    this.name = name;
    this.target = target.toAbsolutePath().normalize();
    this.partPath = this.target.resolveSibling(this.target.getFileName() + ".part");
    this.part = new ReceivingFile(CHECKPOINT_BYTES, CHECKPOINT_NANOS, fsync);
    this.listener = listener;
    this.requests = new DownloadRequests(name, part::written, () -> phase == Phase.DONE);
    this.key = ClientSide.resumeKey("down", server, name, this.target.toString());
  }

  /**
   * Runs one download to its end.
   *
   * @param fsync whether the part file is made durable before each checkpoint and before the
   *     rename (the default); false leaves the output in the page cache, as curl does
   */
  public static TransferResult run(LifelineClient client, String server, String name, Path target,
      TransferListener listener, boolean fsync) throws TransferException, InterruptedException {
    return new Download(client, server, name, target, listener, fsync).run();
  }

  private TransferResult run() throws TransferException, InterruptedException {
    long start = System.nanoTime();
    Session session = ClientSide.open(client, key, this);
    session.closeFuture().whenComplete((v, e) -> {
      if (e != null) {
        finished.completeExceptionally(ClientSide.failure(e));
      }
    });
    CompletableFuture<Void> ready = new CompletableFuture<>();
    session.runInOrder(() -> {
      try {
        if (phase == Phase.NO_FILE) {
          // A session restored from the store has already reopened the part file in
          // onInboundRewind (hashing its durable prefix), or found the download done there;
          // only a new session starts here.
          startFrom(session.lastCheckpoint());
        }
        ready.complete(null);
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
    });
    try {
      ready.get();
      request(session);
      byte[] sha = awaitFinished(session);
      ClientSide.closeQuietly(session);
      return ClientSide.result(name, size, sha, start, session.stats(), resumedFrom);
    } catch (ExecutionException e) {
      TransferException t = ClientSide.failure(e.getCause());
      if (t.reason() == Reason.UNREACHABLE || t.reason() == Reason.DISK_FULL) {
        session.abort();
      } else {
        ClientSide.closeQuietly(session);
      }
      throw t;
    }
  }

  private void request(Session session) throws TransferException, InterruptedException {
    try {
      requests.sendOnce(session, true);
    } catch (LifelineException e) {
      throw ClientSide.failure(e);
    }
  }

  /** Opens the part file at the durable prefix a checkpoint describes (zero for none). */
  private void startFrom(Checkpoint cp) throws IOException {
    TransferState st = TransferState.decode(cp.state());
    if (st != null && st.done()) {
      if (Hashing.isFile(target, st.size(), st.fileSha())) {
        // A re-run of a download that finished (renamed and checkpointed) but whose process
        // died before the session was closed: nothing to fetch, nothing to reopen.
        size = st.size();
        mtime = st.mtime();
        expectedSha = st.fileSha();
        doneState = cp.state();
        resumedFrom = st.size();
        phase = Phase.DONE;
        finished.complete(st.fileSha());
        return;
      }
      listener.restarted(target.getFileName() + " is no longer the file this download stored"
          + " (changed or removed since)");
    }
    phase = Phase.NO_FILE;
    part.close();
    part.open(partPath);
    phase = Phase.RECEIVING;
    MessageDigest prefix = st == null || st.offset() == 0 ? null : durablePrefix(st);
    long offset = prefix == null ? 0 : st.offset();
    part.cutTo(offset);
    part.resumeAt(offset, prefix == null ? Hashing.sha256() : prefix, cp.position());
    if (offset > 0 && resumedFrom == 0) {
      resumedFrom = offset;
    }
  }

  /**
   * The digest of the part file's first {@code st.offset()} bytes if they are the ones the
   * checkpoint describes (then the download continues after them), else null.
   */
  private MessageDigest durablePrefix(TransferState st) throws IOException {
    MessageDigest d = part.length() >= st.offset() ? part.hashPrefix(st.offset()) : null;
    if (d != null && MessageDigest.isEqual(Hashing.peek(d), st.prefixSha())) {
      size = st.size();
      mtime = st.mtime();
      expectedSha = st.fileSha();
      return d;
    }
    if (!st.done()) {
      // Never silently: the part file lost bytes its checkpoint describes (a machine crash
      // without fsync, or someone changed or truncated it).
      listener.restarted(partPath.getFileName() + " no longer holds the " + st.offset()
          + " bytes its checkpoint describes (changed, or lost in a crash)");
    }
    return null;
  }

  @Override
  public void onMessage(Session session, long seq, ByteBuffer m) throws Exception {
    receive(session, seq, new Pieces(m));
  }

  /** A large message in the pieces it arrived in: a chunk is written and hashed without a copy. */
  @Override
  public void onMessagePieces(Session session, long seq, ByteBuffer[] pieces) throws Exception {
    receive(session, seq, new Pieces(pieces));
  }

  private void receive(Session session, long seq, Pieces m) throws Exception {
    if (phase != Phase.RECEIVING) {
      // Before startFrom(): the request that follows brings everything again. After the
      // rename: a late META or a replayed CHUNK must not touch the finished file.
      return;
    }
    byte type = m.get();
    if (type == TransferDescriptor.META) {
      meta(session, seq, m.flatten());
    } else if (type == TransferDescriptor.CHUNK) {
      chunk(session, seq, m);
    } else if (type == TransferDescriptor.ERROR) {
      finished.completeExceptionally(TransferDescriptor.errorOf(m.flatten()));
    }
  }

  private void meta(Session session, long seq, ByteBuffer m) throws IOException {
    long newSize = m.getLong();
    long newTime = m.getLong();
    byte[] sha = TransferDescriptor.sha(m);
    if (expectedSha != null && part.written() > 0
        && (newSize != size || !MessageDigest.isEqual(sha, expectedSha))) {
      listener.restarted(FileNames.printable(name)
          + " changed on the server since the download began; starting over");
      part.startOver();
      resumedFrom = 0;
      session.trySend(TransferDescriptor.download(0, name, DownloadRequests.firstSeq(session)));
    }
    boolean first = size < 0;
    size = newSize;
    mtime = newTime;
    expectedSha = sha;
    if (first || part.written() == 0) {
      listener.started(name, size, part.written());
    }
    if (part.written() == size) {
      complete(session, seq);
    }
  }

  /**
   * Waits for the download to finish, checkpointing once a second what arrived and is not yet
   * durable: a download that stalls (the server slow, the network gone) still keeps what it
   * has. (When checkpoints were the only acknowledgements, checking only when a chunk arrived
   * deadlocked once the server's replay buffer was full: SoakTest, 4 MiB buffer.)
   */
  private byte[] awaitFinished(Session session) throws InterruptedException, ExecutionException {
    while (true) {
      try {
        return finished.get(CHECKPOINT_NANOS, TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        session.runInOrder(() -> checkpointIfPending(session));
      }
    }
  }

  private void checkpointIfPending(Session session) {
    if (phase != Phase.RECEIVING || !part.holdsUncheckpointed() || finished.isDone()
        || !part.intervalOver()) {
      return;
    }
    try {
      part.syncNow();
      commitCheckpoint(session, part.lastChunkSeq(), checkpointState(false));
    } catch (IOException e) {
      log.warn("download checkpoint not made durable: {}", e.toString());
    }
  }

  private void chunk(Session session, long seq, Pieces m) throws IOException {
    long offset = m.getLong();
    long length = m.remaining();
    long written = part.written();
    if (expectedSha == null || offset > written || offset + length <= written
        || written == size) {
      return;
    }
    try {
      part.append(seq, m, offset, length, true);
    } catch (IOException e) {
      finished.completeExceptionally(new TransferException(ReceivingFile.reasonOf(e),
          "cannot write " + partPath + ": " + e.getMessage(), e));
      return;
    }
    listener.progress(part.written());
    if (part.written() == size) {
      complete(session, seq);
    } else if (part.checkpointDue()) {
      byte[] state = checkpointState(false);
      part.syncThen(() -> commitCheckpoint(session, seq, state), e ->
          finished.completeExceptionally(new TransferException(ReceivingFile.reasonOf(e),
              "cannot sync " + partPath + ": " + e.getMessage(), e)));
    }
  }

  private void complete(Session session, long seq) throws IOException {
    part.awaitSync();
    byte[] actual = part.sha();
    if (!MessageDigest.isEqual(actual, expectedSha)) {
      finished.completeExceptionally(new TransferException(Reason.HASH_MISMATCH,
          "downloaded file has SHA-256 " + Hashing.hex(actual) + " but the server's is "
              + Hashing.hex(expectedSha)));
      return;
    }
    phase = Phase.NO_FILE; // a failed rename leaves no part file to write
    part.moveTo(target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    // From here on TARGET.part is gone for good: a rewind must not create it again.
    phase = Phase.DONE;
    part.settle(target, mtime);
    doneState = checkpointState(true);
    // Dropped if a rewind (a server restart) reset the stream meanwhile; onInboundRewind then
    // commits it again at the rewind's position.
    commitCheckpoint(session, seq, doneState);
    finished.complete(actual);
  }

  /** The state of a checkpoint at what has been written so far; restarts the interval. */
  private byte[] checkpointState(boolean done) {
    return part.checkpointState(name, size, mtime, expectedSha, done);
  }

  /** Commits a checkpoint whose bytes are durable; any thread. */
  private void commitCheckpoint(Session session, long seq, byte[] state) {
    CompletableFuture<Void> stored = ReceivingFile.commit(session, seq, state);
    if (stored != null) {
      stored.exceptionally(e -> {
        log.warn("download checkpoint not stored: {}", e.toString());
        return null;
      });
    }
  }

  /**
   * Chunks are acknowledged once written (in the page cache), not only by the durable
   * checkpoints: the server's replay buffer is the download's flow-control window, and holding
   * it until each 16 MiB checkpoint's fsync kept a long path's pipe partly empty (docs/protocol.md
   * "Keeping a long pipe full"). Nothing is lost by it: a network cut replays from what this side
   * received, and after this process dies the server's stream rewinds to the durable checkpoint,
   * where the next DOWNLOAD request asks again ({@link DownloadRequests}) and the server reads the
   * file again. Checkpoints stay durable before they are stored.
   */
  @Override
  public boolean autoAcknowledge() {
    return true;
  }

  /**
   * The server restarted (or this process did, restoring the session): continue from the
   * checkpoint. A download already done stays done, whichever checkpoint the stream went back to:
   * its "done" checkpoint may not have been durable yet, or was refused because this rewind had
   * already reset the stream. Then it is committed again here, at the rewind's position, so the
   * store never describes less than what is on disk.
   */
  @Override
  public void onInboundRewind(Session session, Checkpoint checkpoint) {
    if (phase == Phase.DONE) {
      TransferState st = TransferState.decode(checkpoint.state());
      if (st == null || !st.done()) {
        commitCheckpoint(session, checkpoint.position(), doneState);
      }
      return;
    }
    try {
      startFrom(checkpoint);
      // A request sent at the outbound rewind, before this one was reported, asked from an
      // offset the part file no longer holds and numbered below this checkpoint.
      requests.resendIfStale(session);
    } catch (LifelineException e) {
      finished.completeExceptionally(ClientSide.failure(e));
    } catch (IOException e) {
      finished.completeExceptionally(new TransferException(Reason.IO_ERROR,
          "cannot reopen " + partPath + ": " + e.getMessage(), e));
    }
  }

  @Override
  public void onOutboundRewind(Session session, Checkpoint checkpoint) {
    if (phase == Phase.DONE) {
      return; // the file is complete: nothing to ask for
    }
    try {
      requests.sendOnce(session, false);
    } catch (LifelineException e) {
      finished.completeExceptionally(ClientSide.failure(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void onResumed(Session session) {
    listener.reconnected(session.stats().reconnects());
  }
}
