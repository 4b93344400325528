package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives one upload: writes chunks at their offsets into the partial file, and every few MiB or
 * second makes the file durable (fsync) and only then commits a checkpoint, which is what the
 * client's replay buffer waits for. Runs on the session's ordered application thread.
 *
 * <p>After a failure (a full disk) it refuses further chunks until the stream is rewound to the
 * last checkpoint, which happens when the client comes back; so the upload stays resumable once
 * space returns.
 *
 * <p>Once the file is stored ({@code done}) the upload is final: a rewind that arrives later (the
 * client came back from a restart, possibly while the file was being renamed) or a replayed
 * message reopens nothing and never moves the checkpoint back from "done" (see {@link #rewind}).
 */
final class UploadReceiver {
  private static final Logger log = LoggerFactory.getLogger(UploadReceiver.class);
  private static final byte[] NO_SHA = new byte[TransferDescriptor.SHA_BYTES];

  private final Session session;
  private final TransferService service;
  private final BackgroundSync sync = new BackgroundSync();
  // name, size and written are volatile only so that progress() may read them from any thread.
  private volatile String name;
  private volatile long size;
  private long mtime;
  private FileChannel file;
  private MessageDigest digest;
  private volatile long written;
  private long sinceCheckpoint;
  private long lastCheckpointNanos;
  private boolean failed;
  private volatile boolean done;
  private byte[] doneSha; // the stored file's SHA-256 once done, for answering again
  // Set when the upload turned out to be stored already (see rewind): chunks are hashed, not
  // written, and END is checked against the stored file.
  private Path storedAs;
  private long checkpoints; // generation of the last checkpoint started
  private long lastChunkSeq; // sequence of the last chunk written
  private boolean idleCheckScheduled;

  UploadReceiver(Session session, TransferService service) {
    this.session = session;
    this.service = service;
  }

  void request(long seq, ByteBuffer m) throws IOException {
    if (done) {
      return; // replayed after a rewind: this upload is stored, the request is answered
    }
    long size = m.getLong();
    long mtime = m.getLong();
    String name;
    try {
      name = TransferDescriptor.str16(m, FileNames.MAX_BYTES * 4);
      FileNames.resolve(service.filesDir(), name);
      if (size < 0 || size > service.maxFileSize()) {
        throw new TransferException(Reason.TOO_LARGE, "file of " + size
            + " bytes is larger than this server accepts (" + service.maxFileSize() + " bytes)");
      }
      if (Files.exists(FileNames.resolve(service.filesDir(), name))) {
        throw new TransferException(Reason.EXISTS, "a complete file named "
            + FileNames.printable(name) + " exists; it is never overwritten");
      }
    } catch (TransferException e) {
      refuse(e);
      return;
    }
    session.setAutoAck(false);
    this.name = name;
    this.size = size;
    this.mtime = mtime;
    open(0);
    digest = Hashing.sha256();
    checkpoint(seq);
    log.info("session {}: receiving {} ({} bytes)", session.id(), FileNames.printable(name), size);
  }

  /** Where the upload stands, or null before its request was accepted. */
  dev.lifeline.transfer.TransferProgress progress() {
    String n = name;
    return n == null || done ? null : new dev.lifeline.transfer.TransferProgress(session.id(),
        dev.lifeline.transfer.TransferProgress.Direction.UPLOAD, n, size, written);
  }

  void chunk(long seq, Pieces m) throws IOException {
    if (failed || done || file == null) {
      return;
    }
    long offset = m.getLong();
    long length = m.remaining();
    if (offset > written || offset + length > size) {
      refuse(new TransferException(Reason.IO_ERROR, "chunk at " + offset + "+" + length
          + " does not follow the " + written + " bytes received of " + size));
      return;
    }
    if (offset + length <= written) {
      return;
    }
    m.skip(written - offset);
    try {
      if (storedAs == null) {
        service.checkSpace(offset + length);
        m.writeAt(file, written);
      }
    } catch (IOException e) {
      failWrite(e);
      return;
    }
    m.hash(digest);
    sinceCheckpoint += offset + length - written;
    written = offset + length;
    lastChunkSeq = seq;
    if ((sinceCheckpoint >= service.checkpointBytes()
        || System.nanoTime() - lastCheckpointNanos >= service.checkpointNanos()) && sync.idle()) {
      syncAndCheckpoint(seq);
    } else if (!idleCheckScheduled) {
      // A sender whose replay buffer is smaller than a checkpoint interval stops sending until
      // acknowledged: no chunk would arrive to trigger the next checkpoint. Check on a timer too.
      idleCheckScheduled = true;
      service.retryLater(session, this::checkpointIfIdle,
          Math.max(1, service.checkpointNanos() / 1_000_000));
    }
  }

  /** Session thread: checkpoints what arrived if no chunk came to do it within the interval. */
  private void checkpointIfIdle() {
    idleCheckScheduled = false;
    if (failed || done || file == null || sinceCheckpoint == 0 || session.closeFuture().isDone()) {
      return;
    }
    if (System.nanoTime() - lastCheckpointNanos >= service.checkpointNanos() && sync.idle()) {
      syncAndCheckpoint(lastChunkSeq);
    } else {
      idleCheckScheduled = true;
      service.retryLater(session, this::checkpointIfIdle,
          Math.max(1, service.checkpointNanos() / 1_000_000));
    }
  }

  void end(long seq, ByteBuffer m) throws IOException {
    if (failed || done || file == null) {
      return;
    }
    byte[] expected = TransferDescriptor.sha(m);
    if (written != size) {
      refuse(new TransferException(Reason.IO_ERROR,
          "END after " + written + " of " + size + " bytes"));
      return;
    }
    sync.await();
    byte[] actual = digest.digest();
    if (!MessageDigest.isEqual(expected, actual)) {
      refuse(new TransferException(Reason.HASH_MISMATCH, "received file has SHA-256 "
          + Hashing.hex(actual) + " but the client sent " + Hashing.hex(expected)));
      discard();
      return;
    }
    if (storedAs != null) {
      closeQuietly();
      if (!MessageDigest.isEqual(actual, service.checksums().of(storedAs))) {
        refuse(new TransferException(Reason.EXISTS, "a complete file named "
            + FileNames.printable(name) + " exists with other content; it is never overwritten"));
        return;
      }
      finish(seq, actual);
      return;
    }
    try {
      file.force(true);
      file.close();
      Path target = FileNames.resolve(service.filesDir(), name);
      Files.move(service.partialFile(session.id()), target, StandardCopyOption.ATOMIC_MOVE);
      Files.setLastModifiedTime(target, java.nio.file.attribute.FileTime.fromMillis(mtime));
      syncDirectory(service.filesDir());
      service.checksums().record(target, actual);
    } catch (FileAlreadyExistsException e) {
      refuse(new TransferException(Reason.EXISTS, "a complete file named "
          + FileNames.printable(name) + " appeared meanwhile; it is never overwritten"));
      discard();
      return;
    } catch (TransferException e) {
      refuse(e);
      return;
    }
    finish(seq, actual);
  }

  /** The file is in place and verified: checkpoint that, and tell the client. */
  private void finish(long seq, byte[] actual) {
    done = true;
    doneSha = actual;
    file = null;
    storedAs = null;
    commitDone(seq);
    reply(TransferDescriptor.done(actual));
    log.info("session {}: stored {} ({} bytes, sha256 {})", session.id(),
        FileNames.printable(name), size, Hashing.hex(actual));
  }

  /**
   * Commits the "done" checkpoint. A rewind that reset the stream meanwhile (the client came back
   * from a restart while the file was renamed) makes the session refuse this position; the
   * rewind's callback, which follows, commits it again at its own position. Thrown out of END,
   * that refusal ended the session after the file was stored, without DONE.
   */
  private void commitDone(long seq) {
    byte[] state = new TransferState(name, size, mtime, size, doneSha, doneSha, true).encode();
    try {
      session.checkpoint(seq, state).exceptionally(e -> {
        log.warn("session {}: done checkpoint not stored: {}", session.id(), e.toString());
        return null;
      });
    } catch (IllegalArgumentException e) {
      log.debug("session {}: done checkpoint at {} deferred to the rewind: {}", session.id(), seq,
          e.getMessage());
    }
  }

  /**
   * The stream went back to our checkpoint ({@code state}, null for none): continue from the
   * durable prefix it describes. An upload already stored stays stored, whichever checkpoint the
   * stream went back to (its "done" checkpoint may not be durable yet): it commits "done" again
   * at this position instead of reopening a file.
   */
  void rewind(long seq, TransferState state) {
    if (done) {
      if (state == null || !state.done()) {
        commitDone(seq);
      }
      return;
    }
    failed = false;
    name = state.name();
    size = state.size();
    mtime = state.mtime();
    if (state.done()) {
      done = true;
      doneSha = state.fileSha();
      closeQuietly();
      return;
    }
    try {
      storedAs = null;
      if (storedBeforeItsCheckpoint(state)) {
        return;
      }
      open(state.offset());
      digest = Hashing.prefix(file, state.offset());
      if (!MessageDigest.isEqual(Hashing.peek(digest), state.prefixSha())) {
        throw new IOException("the partial upload of " + FileNames.printable(name)
            + " does not match its checkpoint");
      }
      written = state.offset();
      session.setAutoAck(false);
      log.info("session {}: continuing {} from byte {}", session.id(), FileNames.printable(name),
          written);
      tellContinuing();
    } catch (IOException e) {
      log.warn("session {}: cannot continue upload: {}", session.id(), e.toString());
      failed = true;
      reply(TransferDescriptor.error(Reason.IO_ERROR, e.getMessage()));
    }
  }

  /**
   * Whether the upload was stored (verified and renamed into place) before this checkpoint could
   * say so: the process died, or another node took the session over, between the rename and the
   * commit of the done checkpoint. Then the partial file is gone and the complete one starts
   * with exactly the checkpoint's prefix. The client replays from the checkpoint; its chunks are
   * hashed without writing, and its END is answered from the stored file.
   */
  private boolean storedBeforeItsCheckpoint(TransferState state) throws IOException {
    Path target = FileNames.resolve(service.filesDir(), name);
    Path partial = service.partialFile(session.id());
    if (!Files.exists(target) || Files.exists(partial) && Files.size(partial) >= state.offset()
        || Files.size(target) != state.size()) {
      return false;
    }
    closeQuietly();
    FileChannel stored = FileChannel.open(target, StandardOpenOption.READ);
    MessageDigest prefix = Hashing.prefix(stored, state.offset());
    if (!MessageDigest.isEqual(Hashing.peek(prefix), state.prefixSha())) {
      stored.close();
      return false; // another file of that name: the usual path reports the missing partial
    }
    file = stored;
    storedAs = target;
    digest = prefix;
    written = state.offset();
    sinceCheckpoint = 0;
    done = false;
    session.setAutoAck(false);
    log.info("session {}: {} was stored before its checkpoint said so; checking the rest from"
        + " byte {}", session.id(), FileNames.printable(name), written);
    tellContinuing();
    return true;
  }

  /**
   * Tells the client where this side continues. After a server restart the client usually does
   * not rewind (its replay buffer still holds everything after the server's checkpoint and it
   * just sends it again), so without this it cannot know, and its summary said the upload
   * continued from 0.
   */
  private void tellContinuing() {
    reply(TransferDescriptor.continuing(written));
  }

  /**
   * The outbound stream went back to the client's checkpoint: answers sent after it are gone
   * (typically this server restarted and lost its replay buffer). If the upload was already
   * stored, the client may never have seen its DONE, and nothing else would make it arrive: the
   * client has nothing left to send and waits for it. Answer again, unless the client's
   * checkpoint (the type of the last answer it consumed) says the DONE arrived.
   */
  void outboundRewound(dev.lifeline.store.Checkpoint clientCheckpoint) {
    byte[] seen = clientCheckpoint.state();
    boolean doneArrived = seen.length == 1 && seen[0] == TransferDescriptor.DONE;
    if (done && doneSha != null && !doneArrived) {
      log.info("session {}: {} was stored before the connection was lost; answering again",
          session.id(), FileNames.printable(name));
      reply(TransferDescriptor.done(doneSha));
    }
  }

  private void open(long length) throws IOException {
    closeQuietly();
    Path partial = service.partialFile(session.id());
    file = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    if (file.size() < length) {
      // No server path in the message: it goes to the client.
      throw new IOException("the partial upload of " + FileNames.printable(name) + " has "
          + file.size() + " bytes but its checkpoint says " + length);
    }
    file.truncate(length);
    written = length;
    sinceCheckpoint = 0;
    done = false;
  }

  /**
   * Makes what was written durable on another thread while later chunks are written, then
   * commits the checkpoint claiming it (never before its fsync returned).
   */
  private void syncAndCheckpoint(long seq) {
    byte[] state = checkpointState();
    long generation = checkpoints;
    FileChannel f = file;
    sync.start(f, () -> commit(seq, state, generation), e -> session.runInOrder(() -> {
      if (file == f && !failed) {
        failWrite(e);
      }
    }));
  }

  private void checkpoint(long seq) {
    byte[] state = checkpointState();
    commit(seq, state, checkpoints);
  }

  private byte[] checkpointState() {
    sinceCheckpoint = 0;
    lastCheckpointNanos = System.nanoTime();
    checkpoints++;
    return state(Hashing.peek(digest), NO_SHA).encode();
  }

  /**
   * Commits a checkpoint whose bytes are durable (any thread); if the store could not take it,
   * tries again every second until it does or a later checkpoint replaces it. Without that, a
   * client whose replay buffer is full of unacknowledged data would wait for an acknowledgement
   * that nothing triggers any more.
   */
  private void commit(long seq, byte[] state, long generation) {
    CompletableFuture<Void> stored;
    try {
      stored = session.checkpoint(seq, state);
    } catch (IllegalArgumentException e) {
      // The stream was rewound while the file was being synced: this checkpoint is obsolete.
      log.debug("session {}: checkpoint at {} dropped: {}", session.id(), seq, e.getMessage());
      return;
    }
    stored.exceptionally(e -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException
          && e.getCause() != null ? e.getCause() : e;
      boolean retry = cause instanceof dev.lifeline.store.StoreException
          && !(cause instanceof dev.lifeline.store.SessionTakenException)
          && !(cause instanceof dev.lifeline.store.UnknownSessionException)
          && !session.closeFuture().isDone();
      log.warn("session {}: checkpoint not stored{}: {}", session.id(),
          retry ? " (retrying in 1 s)" : "", cause.toString());
      if (retry) {
        service.retryLater(session, () -> {
          if (generation == checkpoints && !failed && file != null
              && !session.closeFuture().isDone()) {
            commit(seq, state, generation);
          }
        }, 1000);
      }
      return null;
    });
  }

  private TransferState state(byte[] prefixSha, byte[] fileSha) {
    return new TransferState(name, size, mtime, written, prefixSha, fileSha, done);
  }

  private void failWrite(IOException e) {
    sync.await();
    failed = true;
    boolean full = isDiskFull(e);
    try {
      if (storedAs == null) { // never cut the stored file
        file.truncate(written);
      }
    } catch (IOException ignored) {
      // the next rewind truncates to the checkpoint anyway
    }
    String msg = full
        ? "server disk is full after " + written + " bytes; the upload resumes when space returns"
        : "server could not write the upload: " + e.getMessage();
    log.warn("session {}: {}", session.id(), msg);
    reply(TransferDescriptor.error(full ? Reason.DISK_FULL : Reason.IO_ERROR, msg));
  }

  /** Answers the client; the answer is small, so only a closed session stops it. */
  private void reply(byte[] message) {
    try {
      if (trySendAfterRewind(session, message) == null) {
        log.warn("session {}: replay buffer full, answer dropped", session.id());
      }
    } catch (dev.lifeline.LifelineException e) {
      log.debug("session {}: closed before the answer", session.id());
    }
  }

  /**
   * Sends an answer. A rewind of the outbound stream only means the peer lost earlier answers,
   * which it asks for again; this answer is still due, so it is sent after the rewind.
   */
  static java.util.concurrent.CompletableFuture<Void> trySendAfterRewind(Session session,
      byte[] message) throws dev.lifeline.LifelineException {
    try {
      return session.trySend(message);
    } catch (dev.lifeline.StreamRewoundException e) {
      return session.trySend(message);
    }
  }

  static boolean isDiskFull(IOException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("No space left") || m.contains("Disk quota");
  }

  private void refuse(TransferException e) {
    failed = true;
    log.info("session {}: upload refused: {}", session.id(), e.getMessage());
    reply(TransferDescriptor.error(e.reason(), e.getMessage()));
  }

  /** Whether the upload is stored and verified; final once true. */
  boolean isDone() {
    return done;
  }

  /** Stops writing and closes the partial file, leaving it for the node that continues. */
  void release() {
    failed = true;
    closeQuietly();
  }

  void discard() {
    closeQuietly();
    try {
      Files.deleteIfExists(service.partialFile(session.id()));
    } catch (IOException e) {
      log.warn("could not remove {}: {}", service.partialFile(session.id()), e.toString());
    }
  }

  private void closeQuietly() {
    sync.await();
    if (file != null) {
      try {
        file.close();
      } catch (IOException ignored) {
        // nothing more to do with it
      }
      file = null;
    }
  }

  static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // not every file system lets a directory be synced; the rename itself is atomic
    }
  }
}
