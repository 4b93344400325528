package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.SessionMovedException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import dev.lifeline.transfer.TransferProgress;
import dev.lifeline.transfer.internal.TreeUploadMessages.State;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of a tree upload (TREE_FILE, TREE_CHUNK, TREE_END, SET_END; {@link
 * TreeUploadMessages}). Runs on the session's ordered thread.
 *
 * <p>Each file is written under {@code .partial/SESSION.tree/} (hidden, never listed), hashed as
 * it arrives, verified at TREE_END and moved into place without ever replacing a file. A file
 * that exists already is not written: what arrives is hashed and compared with it, so the same
 * content is success (a re-run, or a process killed between the rename and its checkpoint) and
 * other content is EXISTS.
 *
 * <p>Checkpoints are shared by the files: every {@code checkpointBytes} or {@code
 * checkpointNanos} across files, a batch of the files finished since the last one (and their
 * directories) plus the file in progress are synced on another thread ({@link TreeStoreSync}),
 * and only then the checkpoint is committed. No fsync per file is on the receive path.
 *
 * <p>Messages are matched by name and offset, never by position: a message that does not
 * continue what this side holds (after a restart, or a checkpoint that crossed a rewind,
 * docs/protocol.md) is dropped when it is already held, and answered with NEED(name, offset) once
 * per position when something is missing, so the client sends that file again from there.
 */
final class TreeUploadReceiver implements ServerTree {
  private static final Logger log = LoggerFactory.getLogger(TreeUploadReceiver.class);
  /** First byte of this receiver's checkpoint states (TransferState's is 1). */
  static final byte STATE_VERSION = 0x21;
  private static final byte[] NO_SHA = new byte[TransferDescriptor.SHA_BYTES];

  /** Where the file in hand stands. */
  private enum Phase {
    /** Between files. */
    IDLE,
    /** Writing its partial file. */
    RECEIVING,
    /** It exists in place already: hashing what arrives to compare, writing nothing. */
    VERIFYING,
    /** Refused (answered FILE_ERROR): its chunks are ignored until the next file. */
    REFUSED
  }

  private final Session session;
  private final TransferService service;
  private final TreeStoreFile file;
  private final TreeStoreCheckpoints checkpoints;
  private final Set<String> needsSent = new HashSet<>();
  private final Set<Path> madeDirs = new HashSet<>();

  private volatile Phase phase = Phase.IDLE;
  private volatile String name = "";
  private volatile long size;
  private long mtime;
  private Path target;

  private int filesDone;
  private int round; // the last SET_END taken
  private boolean autoAckOff;

  TreeUploadReceiver(Session session, TransferService service) {
    this.session = session;
    this.service = service;
    Path single = service.partialFile(session.id());
    this.file = new TreeStoreFile(single.resolveSibling(single.getFileName() + ".tree"));
    this.checkpoints = new TreeStoreCheckpoints(session, service, file.dir(), this::current);
  }

  /** Whether a checkpoint state is this receiver's. */
  static boolean isTreeState(byte[] state) {
    return state.length > 0 && state[0] == STATE_VERSION;
  }

  @Override
  public void message(long seq, byte type, Pieces m) throws Exception {
    if (!autoAckOff) {
      session.setAutoAck(false); // acknowledged only by checkpoints, once durable
      autoAckOff = true;
    }
    checkpoints.received(seq);
    try {
      if (type == TreeMessages.TREE_CHUNK) {
        chunk(m);
      } else if (type == TreeMessages.TREE_FILE) {
        file(m.flatten());
      } else if (type == TreeMessages.TREE_END) {
        end(m.flatten());
      } else {
        setEnd(seq, m.flatten());
        return;
      }
    } catch (IOException e) {
      // that file only (a name taken by a file where a directory must go, a failed rename...)
      refuse(e instanceof TransferException te ? te : new TransferException(
          ReceivingFile.reasonOf(e), "server could not store " + FileNames.printable(name) + ": "
              + e.getMessage()));
    }
    checkpoints.checkpointIfDue();
  }

  private void file(ByteBuffer b) throws IOException {
    byte kind = b.get();
    long size = b.getLong();
    long mtime = b.getLong();
    String name;
    try {
      name = TreeUploadMessages.name(b);
    } catch (TransferException e) {
      reply(TreeUploadMessages.fileError(Reason.INVALID_NAME, "", e.getMessage()));
      return;
    }
    boolean holding = phase == Phase.RECEIVING || phase == Phase.VERIFYING;
    if (holding && name.equals(this.name) && size == this.size && mtime == this.mtime) {
      return; // the same file announced again (a re-run or a NEED): continue where it stands
    }
    if (holding) {
      String lost = this.name;
      dropCurrent();
      if (!lost.equals(name)) {
        need(lost, 0); // its end never came: a message went missing
      }
    }
    start(kind, size, mtime, name, true);
  }

  /**
   * Takes up a file: refuses it, or verifies it against the stored one, or opens its partial
   * file (emptied when {@code fresh}; a rewind keeps it to check its prefix).
   */
  private void start(byte kind, long size, long mtime, String name, boolean fresh)
      throws IOException {
    this.name = name;
    this.size = size;
    this.mtime = mtime;
    file.verifyOnly();
    try {
      target = FileNames.resolveTree(service.filesDir(), name);
      if (kind == TreeUploadMessages.KIND_DIR) {
        makeDirectory();
        return;
      }
      if (size < 0 || size > service.maxFileSize()) {
        throw new TransferException(Reason.TOO_LARGE, "file of " + size
            + " bytes is larger than this server accepts (" + service.maxFileSize() + " bytes)");
      }
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
          throw exists("something other than a file");
        }
        phase = Phase.VERIFYING;
        return;
      }
      file.open(name, fresh);
      phase = Phase.RECEIVING;
    } catch (TransferException e) {
      refuse(e);
    }
  }

  private void makeDirectory() throws IOException, TransferException {
    phase = Phase.IDLE;
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw exists("a file");
    }
    parents(target);
    Files.createDirectory(target);
    checkpoints.changed(target.getParent());
  }

  private void chunk(Pieces m) throws IOException {
    String name;
    try {
      name = TreeUploadMessages.name(m);
    } catch (TransferException e) {
      return; // not a file this side holds; its TREE_END says what is missing
    }
    long offset = m.getLong();
    long length = m.remaining();
    if ((phase != Phase.RECEIVING && phase != Phase.VERIFYING) || !name.equals(this.name)) {
      return;
    }
    long written = file.written();
    if (offset > written) {
      need(name, written);
      return;
    }
    if (offset + length > size) {
      refuse(new TransferException(Reason.IO_ERROR, "chunk at " + offset + "+" + length
          + " beyond the size " + size + " of " + FileNames.printable(name)));
      return;
    }
    if (offset + length <= written) {
      return; // held already (sent again after a rewind)
    }
    try {
      boolean write = phase == Phase.RECEIVING;
      if (write) {
        service.checkSpace(offset + length);
      }
      file.append(m, offset, length, write);
    } catch (IOException e) {
      refuse(new TransferException(ReceivingFile.reasonOf(e), "server could not write "
          + FileNames.printable(name) + ": " + e.getMessage()));
      return;
    }
    checkpoints.wrote(offset + length - written);
  }

  private void end(ByteBuffer b) throws IOException {
    boolean abandon = (b.get() & TreeUploadMessages.FLAG_ABANDON) != 0;
    byte[] sha = TransferDescriptor.sha(b);
    String name;
    try {
      name = TreeUploadMessages.name(b);
    } catch (TransferException e) {
      return;
    }
    if (phase == Phase.IDLE || !name.equals(this.name)) {
      if (!abandon) {
        endOfOther(name, sha);
      }
      return;
    }
    if (phase == Phase.REFUSED || abandon) {
      dropCurrent();
      return;
    }
    if (file.written() != size) {
      need(name, file.written());
      return;
    }
    byte[] actual = file.finishSha();
    if (!MessageDigest.isEqual(actual, sha)) {
      refuse(new TransferException(Reason.HASH_MISMATCH, "received " + FileNames.printable(name)
          + " has SHA-256 " + Hashing.hex(actual) + " but the client sent " + Hashing.hex(sha)));
      return;
    }
    if (phase == Phase.VERIFYING) {
      matchStored(actual);
      return;
    }
    parents(target);
    if (!file.moveTo(target)) {
      matchStored(actual); // it appeared meanwhile (another session)
      return;
    }
    Files.setLastModifiedTime(target, FileTime.fromMillis(mtime));
    service.checksums().record(target, actual);
    checkpoints.finished(target);
    finish(actual);
  }

  /** A file that exists in place: the same content is success, other content EXISTS. */
  private void matchStored(byte[] actual) throws IOException {
    if (Files.size(target) == size
        && MessageDigest.isEqual(actual, service.checksums().of(target))) {
      finish(actual);
    } else {
      refuse(exists("a file with other content"));
    }
  }

  /**
   * TREE_END of a file this side does not hold: answered again if it is stored with that
   * content (its checkpoint came after it), otherwise asked for from the start.
   */
  private void endOfOther(String name, byte[] sha) throws IOException {
    try {
      Path t = FileNames.resolveTree(service.filesDir(), name);
      if (Files.isRegularFile(t, LinkOption.NOFOLLOW_LINKS)
          && MessageDigest.isEqual(sha, service.checksums().of(t))) {
        reply(TreeUploadMessages.fileDone(sha, name));
        return;
      }
    } catch (TransferException e) {
      return; // never accepted, never answered as missing
    }
    need(name, 0);
  }

  private void finish(byte[] sha) {
    filesDone++;
    reply(TreeUploadMessages.fileDone(sha, name));
    phase = Phase.IDLE;
    name = "";
  }

  private TransferException exists(String what) {
    return new TransferException(Reason.EXISTS, FileNames.printable(name) + " exists as " + what
        + "; it is never overwritten");
  }

  private void refuse(TransferException e) {
    log.info("session {}: {} refused: {}", session.id(), FileNames.printable(name),
        e.getMessage());
    reply(TreeUploadMessages.fileError(e.reason(), name, e.getMessage()));
    file.delete();
    phase = Phase.REFUSED;
  }

  /** Forgets the file in hand (abandoned, refused, or superseded). */
  private void dropCurrent() {
    file.delete();
    phase = Phase.IDLE;
    name = "";
  }

  /** Creates the parent directories of {@code file}, remembering them to sync. */
  private void parents(Path file) throws IOException {
    Path parent = file.getParent();
    if (madeDirs.add(parent) && !Files.isDirectory(parent)) {
      Files.createDirectories(parent);
      checkpoints.changed(parent.getParent());
    }
  }

  /** Asks the client for {@code name} from {@code offset}, once per position. */
  private void need(String name, long offset) {
    if (needsSent.add(name + "\0" + offset)) {
      log.info("session {}: asking for {} again from byte {}", session.id(),
          FileNames.printable(name), offset);
      reply(TreeUploadMessages.need(offset, name));
    }
  }

  // ------------------------------------------------------------------ checkpoints

  /** What a checkpoint taken now says, and the partial file it claims. */
  private TreeStoreCheckpoints.Current current() {
    boolean receiving = phase == Phase.RECEIVING;
    State state = new State(filesDone, round, receiving ? size : 0, receiving ? mtime : 0,
        receiving ? file.written() : 0, receiving ? file.peekSha() : NO_SHA,
        receiving ? name : "");
    return new TreeStoreCheckpoints.Current(state.encode(), receiving ? file.path() : null,
        target);
  }

  /** SET_END: answered with SET_DONE once a checkpoint covering everything before it landed. */
  private void setEnd(long seq, ByteBuffer b) {
    int asked = b.getInt();
    round = asked;
    checkpoints.checkpointNow(seq, () -> reply(TreeUploadMessages.setDone(asked, filesDone)));
  }

  // ------------------------------------------------------------------ events

  @Override
  public void onInboundRewind(Checkpoint checkpoint) {
    checkpoints.rewound(checkpoint.position());
    session.setAutoAck(false);
    autoAckOff = true;
    file.closeQuietly();
    needsSent.clear();
    State st = State.decode(checkpoint.state());
    phase = Phase.IDLE;
    name = "";
    filesDone = st == null ? 0 : st.filesDone();
    round = st == null ? 0 : st.round();
    if (st == null || st.between()) {
      return;
    }
    try {
      continueFrom(st);
    } catch (IOException e) {
      log.warn("session {}: cannot continue {}: {}", session.id(),
          FileNames.printable(st.name()), e.toString());
      phase = Phase.IDLE;
      name = "";
    }
  }

  /**
   * Takes up the file a checkpoint was in: its partial file cut to the durable prefix, or the
   * stored file if it was finished before its checkpoint said so, or else from byte zero (the
   * client is asked for the rest when its chunks arrive beyond what is here).
   */
  private void continueFrom(State st) throws IOException, TransferException {
    start(TreeUploadMessages.KIND_FILE, st.size(), st.mtime(), st.name(), false);
    if (phase == Phase.VERIFYING) {
      if (Files.size(target) == st.size()
          && file.continueAt(target, st.offset(), st.prefixSha())) {
        log.info("session {}: {} was stored before its checkpoint; verifying from byte {}",
            session.id(), FileNames.printable(name), st.offset());
      } else {
        phase = Phase.IDLE; // another file of that name: its end is answered from it
        name = "";
      }
    } else if (phase == Phase.RECEIVING) {
      if (file.continueAt(file.path(), st.offset(), st.prefixSha())) {
        log.info("session {}: continuing {} from byte {}", session.id(),
            FileNames.printable(name), st.offset());
      } else {
        file.open(name, true);
        log.info("session {}: partial {} lost; taking it from the start", session.id(),
            FileNames.printable(name));
      }
    }
  }

  @Override
  public void onOutboundRewind(Checkpoint checkpoint) {
    // Answers sent since the client's checkpoint are gone with this side's replay buffer. A
    // SET_DONE among them is the one answer nothing would cause again; per-file answers the
    // client misses it checks against a listing.
    if (round != 0 && phase == Phase.IDLE && checkpoints.allStarted()) {
      reply(TreeUploadMessages.setDone(round, filesDone));
    }
  }

  @Override
  public void onClosed(Throwable cause) {
    checkpoints.awaitSync();
    file.closeQuietly();
    if (!(cause instanceof SessionMovedException)) { // else another node continues
      file.deleteAll();
    }
  }

  @Override
  public TransferProgress progress() {
    String n = name;
    return phase != Phase.RECEIVING || n.isEmpty() ? null : new TransferProgress(session.id(),
        TransferProgress.Direction.UPLOAD, n, size, file.written());
  }

  /** Answers the client; answers are small, so only a closed session stops one. */
  private void reply(byte[] message) {
    try {
      if (TransferService.trySendAfterRewind(session, message) == null) {
        log.warn("session {}: replay buffer full, answer dropped", session.id());
      }
    } catch (dev.lifeline.LifelineException e) {
      log.debug("session {}: closed before the answer", session.id());
    }
  }
}
