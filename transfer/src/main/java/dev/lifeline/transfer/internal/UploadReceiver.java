package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import dev.lifeline.transfer.TransferProgress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives one upload: writes chunks at their offsets into the partial file, and every few MiB or
 * second makes the file durable (fsync) and only then commits a checkpoint, which is what the
 * client's replay buffer waits for. Runs on the session's ordered application thread.
 *
 * <p>The file cycle (write at the offset, hash, background fsync, checkpoint, rename) is {@link
 * ReceivingFile}'s; this class adds the upload's protocol: the request and its checks, END, the
 * answers, and what a rewind finds on disk. Where it stands is one {@link Phase}.
 *
 * <p>After a failure (a full disk) it refuses further chunks until the stream is rewound to the
 * last checkpoint, which happens when the client comes back; so the upload stays resumable once
 * space returns.
 *
 * <p>Once the file is stored ({@link Phase#DONE}) the upload is final: a rewind that arrives
 * later (the client came back from a restart, possibly while the file was being renamed) or a
 * replayed message reopens nothing and never moves the checkpoint back from "done" (see {@link
 * #rewind}).
 */
final class UploadReceiver {
  private static final Logger log = LoggerFactory.getLogger(UploadReceiver.class);
  private static final byte[] NO_SHA = new byte[TransferDescriptor.SHA_BYTES];

  /** Where the upload stands. */
  private enum Phase {
    /** No request accepted yet: no file is open. */
    NEW,
    /** Writing the partial file. */
    RECEIVING,
    /**
     * Stored before its checkpoint could say so (see {@link #storedBeforeItsCheckpoint}): chunks
     * are hashed against {@code files/NAME}, not written, and END is checked against it.
     */
    VERIFYING,
    /**
     * Refused, or a write failed (a full disk): takes nothing until the stream is rewound to the
     * last checkpoint, which the client's return brings.
     */
    FAILED,
    /** Stored and verified; final. */
    DONE
  }

  private final Session session;
  private final TransferService service;
  private final ReceivingFile file;
  private final UploadCheckpoints checkpoints;
  // Written on the session thread; volatile only so that progress() may read them from any thread.
  private volatile Phase phase = Phase.NEW;
  private volatile String name;
  private volatile long size;
  private long mtime;
  private byte[] doneSha; // the stored file's SHA-256 once done, for answering again
  private boolean idleCheckScheduled;

  UploadReceiver(Session session, TransferService service) {
    this.session = session;
    this.service = service;
    this.file = new ReceivingFile(service.checkpointBytes(), service.checkpointNanos(), true);
    this.checkpoints = new UploadCheckpoints(session, service, this::takesChunks);
  }

  void request(long seq, ByteBuffer m) throws IOException {
    if (phase == Phase.DONE) {
      return; // replayed after a rewind: this upload is stored, the request is answered
    }
    long size = m.getLong();
    long mtime = m.getLong();
    String name;
    try {
      name = TransferDescriptor.str16(m, FileNames.MAX_BYTES * 4);
      service.checkUpload(name, size);
    } catch (TransferException e) {
      refuse(e);
      return;
    }
    session.setAutoAck(false);
    this.name = name;
    this.size = size;
    this.mtime = mtime;
    openPartial(0);
    file.resumeAt(0, Hashing.sha256(), seq);
    // A second request in the same stream (the client's mistake) reopens the partial file but
    // changes no phase: a refused or failed upload stays so until a rewind.
    if (phase == Phase.NEW) {
      phase = Phase.RECEIVING;
    }
    checkpoint(seq);
    log.info("session {}: receiving {} ({} bytes)", session.id(), FileNames.printable(name), size);
  }

  /** Where the upload stands, or null before its request was accepted. */
  TransferProgress progress() {
    String n = name;
    return n == null || phase == Phase.DONE ? null : new TransferProgress(session.id(),
        TransferProgress.Direction.UPLOAD, n, size, file.written());
  }

  /**
   * Whether chunks and END are taken: the upload is receiving or verifying, and its file open
   * (an END that failed while storing, or a discard, closed it).
   */
  private boolean takesChunks() {
    return (phase == Phase.RECEIVING || phase == Phase.VERIFYING) && file.isOpen();
  }

  void chunk(long seq, Pieces m) throws IOException {
    if (!takesChunks()) {
      return;
    }
    long offset = m.getLong();
    long length = m.remaining();
    long written = file.written();
    if (offset > written || offset + length > size) {
      refuse(new TransferException(Reason.IO_ERROR, "chunk at " + offset + "+" + length
          + " does not follow the " + written + " bytes received of " + size));
      return;
    }
    if (offset + length <= written) {
      return;
    }
    boolean write = phase == Phase.RECEIVING;
    try {
      if (write) {
        service.checkSpace(offset + length);
      }
      file.append(seq, m, offset, length, write);
    } catch (IOException e) {
      failWrite(e);
      return;
    }
    if (file.checkpointDue()) {
      syncAndCheckpoint(seq);
    } else if (!idleCheckScheduled) {
      // A sender whose replay buffer is smaller than a checkpoint interval stops sending until
      // acknowledged: no chunk would arrive to trigger the next checkpoint. Check on a timer too.
      scheduleIdleCheck();
    }
  }

  private void scheduleIdleCheck() {
    idleCheckScheduled = true;
    service.retryLater(session, this::checkpointIfIdle,
        Math.max(1, service.checkpointNanos() / 1_000_000));
  }

  /** Session thread: checkpoints what arrived if no chunk came to do it within the interval. */
  private void checkpointIfIdle() {
    idleCheckScheduled = false;
    if (!takesChunks() || !file.holdsUncheckpointed() || session.closeFuture().isDone()) {
      return;
    }
    if (file.intervalOver()) {
      syncAndCheckpoint(file.lastChunkSeq());
    } else {
      scheduleIdleCheck();
    }
  }

  void end(long seq, ByteBuffer m) throws IOException {
    if (!takesChunks()) {
      return;
    }
    byte[] expected = TransferDescriptor.sha(m);
    if (file.written() != size) {
      refuse(new TransferException(Reason.IO_ERROR,
          "END after " + file.written() + " of " + size + " bytes"));
      return;
    }
    file.awaitSync();
    byte[] actual = file.sha();
    if (!MessageDigest.isEqual(expected, actual)) {
      refuse(new TransferException(Reason.HASH_MISMATCH, "received file has SHA-256 "
          + Hashing.hex(actual) + " but the client sent " + Hashing.hex(expected)));
      discard();
      return;
    }
    if (phase == Phase.VERIFYING) {
      file.closeQuietly();
      Path stored = FileNames.resolve(service.filesDir(), name); // resolved once already
      if (!MessageDigest.isEqual(actual, service.checksums().of(stored))) {
        refuse(new TransferException(Reason.EXISTS, "a complete file named "
            + FileNames.printable(name) + " exists with other content; it is never overwritten"));
        return;
      }
      finish(seq, actual);
      return;
    }
    try {
      Path target = FileNames.resolve(service.filesDir(), name);
      file.moveTo(target, StandardCopyOption.ATOMIC_MOVE);
      file.settle(target, mtime);
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
    phase = Phase.DONE;
    doneSha = actual;
    checkpoints.commitDone(seq, name, size, mtime, doneSha);
    reply(TransferDescriptor.done(actual));
    log.info("session {}: stored {} ({} bytes, sha256 {})", session.id(),
        FileNames.printable(name), size, Hashing.hex(actual));
  }

  /**
   * The stream went back to our checkpoint ({@code state}, null for none): continue from the
   * durable prefix it describes. An upload already stored stays stored, whichever checkpoint the
   * stream went back to (its "done" checkpoint may not be durable yet): it commits "done" again
   * at this position instead of reopening a file.
   */
  void rewind(long seq, TransferState state) {
    if (phase == Phase.DONE) {
      if (state == null || !state.done()) {
        checkpoints.commitDone(seq, name, size, mtime, doneSha);
      }
      return;
    }
    name = state.name();
    size = state.size();
    mtime = state.mtime();
    if (state.done()) {
      phase = Phase.DONE;
      doneSha = state.fileSha();
      file.closeQuietly();
      return;
    }
    try {
      if (storedBeforeItsCheckpoint(seq, state)) {
        return;
      }
      openPartial(state.offset());
      MessageDigest prefix = file.hashPrefix(state.offset());
      file.resumeAt(state.offset(), prefix, seq);
      if (!MessageDigest.isEqual(Hashing.peek(prefix), state.prefixSha())) {
        throw new IOException("the partial upload of " + FileNames.printable(name)
            + " does not match its checkpoint");
      }
      phase = Phase.RECEIVING;
      session.setAutoAck(false);
      log.info("session {}: continuing {} from byte {}", session.id(), FileNames.printable(name),
          file.written());
      tellContinuing();
    } catch (IOException e) {
      log.warn("session {}: cannot continue upload: {}", session.id(), e.toString());
      phase = Phase.FAILED;
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
  private boolean storedBeforeItsCheckpoint(long seq, TransferState state) throws IOException {
    Path target = FileNames.resolve(service.filesDir(), name);
    Path partial = service.partialFile(session.id());
    if (!Files.exists(target) || Files.exists(partial) && Files.size(partial) >= state.offset()
        || Files.size(target) != state.size()) {
      return false;
    }
    file.openToVerify(target);
    MessageDigest prefix = file.hashPrefix(state.offset());
    if (!MessageDigest.isEqual(Hashing.peek(prefix), state.prefixSha())) {
      file.close();
      return false; // another file of that name: the usual path reports the missing partial
    }
    file.resumeAt(state.offset(), prefix, seq);
    phase = Phase.VERIFYING;
    session.setAutoAck(false);
    log.info("session {}: {} was stored before its checkpoint said so; checking the rest from"
        + " byte {}", session.id(), FileNames.printable(name), file.written());
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
    reply(TransferDescriptor.continuing(file.written()));
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
    if (phase == Phase.DONE && doneSha != null && !doneArrived) {
      log.info("session {}: {} was stored before the connection was lost; answering again",
          session.id(), FileNames.printable(name));
      reply(TransferDescriptor.done(doneSha));
    }
  }

  /** Opens the partial file at {@code length} bytes, which it must hold at least. */
  private void openPartial(long length) throws IOException {
    file.open(service.partialFile(session.id()));
    if (file.length() < length) {
      // No server path in the message: it goes to the client.
      throw new IOException("the partial upload of " + FileNames.printable(name) + " has "
          + file.length() + " bytes but its checkpoint says " + length);
    }
    file.cutTo(length);
  }

  /**
   * Makes what was written durable on another thread while later chunks are written, then
   * commits the checkpoint claiming it (never before its fsync returned).
   */
  private void syncAndCheckpoint(long seq) {
    byte[] state = checkpointState();
    long generation = checkpoints.start();
    long opened = file.generation();
    file.syncThen(() -> checkpoints.commit(seq, state, generation),
        e -> session.runInOrder(() -> {
          if (file.generation() == opened && phase != Phase.FAILED) {
            failWrite(e); // unless the file was closed or replaced since, or failed already
          }
        }));
  }

  private void checkpoint(long seq) {
    byte[] state = checkpointState();
    checkpoints.commit(seq, state, checkpoints.start());
  }

  private byte[] checkpointState() {
    return file.checkpointState(name, size, mtime, NO_SHA, false);
  }

  private void failWrite(IOException e) {
    file.awaitSync();
    boolean verifying = phase == Phase.VERIFYING;
    phase = Phase.FAILED;
    boolean full = ReceivingFile.isDiskFull(e);
    try {
      if (!verifying) { // never cut the stored file
        file.cutTo(file.written());
      }
    } catch (IOException ignored) {
      // the next rewind truncates to the checkpoint anyway
    }
    String msg = full
        ? "server disk is full after " + file.written()
            + " bytes; the upload resumes when space returns"
        : "server could not write the upload: " + e.getMessage();
    log.warn("session {}: {}", session.id(), msg);
    reply(TransferDescriptor.error(full ? Reason.DISK_FULL : Reason.IO_ERROR, msg));
  }

  /** Answers the client; the answer is small, so only a closed session stops it. */
  private void reply(byte[] message) {
    try {
      if (TransferService.trySendAfterRewind(session, message) == null) {
        log.warn("session {}: replay buffer full, answer dropped", session.id());
      }
    } catch (dev.lifeline.LifelineException e) {
      log.debug("session {}: closed before the answer", session.id());
    }
  }

  private void refuse(TransferException e) {
    phase = Phase.FAILED;
    log.info("session {}: upload refused: {}", session.id(), e.getMessage());
    reply(TransferDescriptor.error(e.reason(), e.getMessage()));
  }

  /** Whether the upload is stored and verified; final once true. */
  boolean isDone() {
    return phase == Phase.DONE;
  }

  /** Stops writing and closes the partial file, leaving it for the node that continues. */
  void release() {
    phase = Phase.FAILED;
    file.closeQuietly();
  }

  void discard() {
    file.closeQuietly();
    try {
      Files.deleteIfExists(service.partialFile(session.id()));
    } catch (IOException e) {
      log.warn("could not remove {}: {}", service.partialFile(session.id()), e.toString());
    }
  }
}
