package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.session.PiecewiseHandler;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import dev.lifeline.transfer.TreeListener;
import dev.lifeline.transfer.TreeResult;
import dev.lifeline.transfer.internal.TreeReceiveFiles.Part;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of a tree download, in one session: LIST the prefix, skip what is already in
 * {@code dir} (same size and SHA-256), then one pipelined request (GET) for the rest; the server
 * streams META and chunks per file ({@link TreeGetCodec}). Files are written by {@link
 * TreeReceiveFiles}; this class adds the protocol and where a restart of either side continues.
 *
 * <p>Acknowledges only through checkpoints ({@link #autoAcknowledge}): after the listing, every
 * 16 MiB, ~200 files or second, when nothing arrived for a moment (the server's replay buffer
 * may be waiting for it) and at the end. A checkpoint's state names the file in progress and its
 * durable length; the files before it are in place. After any rewind the client asks again from
 * what it holds: the file in progress at its offset, then the names still missing.
 *
 * <p>All file and protocol state is confined to the session's application thread.
 */
public final class TreeDownload implements SessionHandler, PiecewiseHandler {
  private static final Logger log = LoggerFactory.getLogger(TreeDownload.class);
  private static final long CHECKPOINT_BYTES = 16L << 20;
  private static final int CHECKPOINT_FILES = 200;
  private static final long CHECKPOINT_NANOS = 1_000_000_000L;
  /** Nothing arrived this long: checkpoint what is held, the sender may wait for the ack. */
  private static final long IDLE_NANOS = 150_000_000L;
  private static final int MAX_FRUITLESS_ENDS = 3;

  private final LifelineClient client;
  private final String prefix;
  private final Path dir;
  private final TreeListener listener;
  private final String key;
  private final TreeReceiveFiles files;
  private final TreeListing.Collector collector;
  private final CompletableFuture<Void> finished = new CompletableFuture<>();
  private final TreeDownloadSet set;
  private final Set<String> askedAgainAt = new HashSet<>();
  private final TreeGetRequests requests = new TreeGetRequests();

  private boolean restored;
  private boolean begun;
  private long lastSeq;
  // The position of the last checkpoint asked for (it may still be being stored).
  private long checkpointedSeq;
  private long lastMessageNanos = System.nanoTime();
  private String lastEndState;
  private int fruitlessEnds;

  private TreeDownload(LifelineClient client, String server, String prefix, Path dir,
      TreeListener listener, boolean fsync) {
    this.client = client;
    this.prefix = TreeListing.stripSlashes(prefix);
    this.dir = dir.toAbsolutePath().normalize();
    this.listener = listener;
    this.files = new TreeReceiveFiles(fsync);
    this.collector = new TreeListing.Collector(this.prefix);
    this.set = new TreeDownloadSet(this.prefix, this.dir, listener);
    this.key = ClientSide.resumeKey("tree-down", server, prefix, this.dir.toString());
  }

  /**
   * Downloads every file stored under {@code prefix} into {@code dir}.
   *
   * @param fsync whether files are made durable before their checkpoint and rename
   */
  public static TreeResult run(LifelineClient client, String server, String prefix, Path dir,
      TreeListener listener, boolean fsync) throws TransferException, InterruptedException {
    return new TreeDownload(client, server, prefix, dir, listener, fsync).run();
  }

  private TreeResult run() throws TransferException, InterruptedException {
    long start = System.nanoTime();
    Session session = ClientSide.open(client, key, this);
    session.closeFuture().whenComplete((v, e) -> {
      if (e != null) {
        finished.completeExceptionally(ClientSide.failure(e));
      }
    });
    session.runInOrder(() -> begin(session));
    try {
      awaitFinished(session);
      ClientSide.closeQuietly(session);
      return set.result((System.nanoTime() - start) / 1e9, session.stats());
    } catch (ExecutionException e) {
      session.runInOrder(files::closeQuietly);
      TransferException t = ClientSide.failure(e.getCause());
      if (t.reason() == Reason.UNREACHABLE || t.reason() == Reason.DISK_FULL) {
        session.abort();
      } else {
        ClientSide.closeQuietly(session);
      }
      throw t;
    }
  }

  /** Waits for the set, checkpointing on a timer what arrived (see {@link Download}). */
  private void awaitFinished(Session session) throws InterruptedException, ExecutionException {
    while (true) {
      try {
        finished.get(100, TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException e) {
        session.runInOrder(() -> tick(session));
      }
    }
  }

  private void tick(Session session) {
    if (finished.isDone()) {
      return;
    }
    boolean idle = System.nanoTime() - lastMessageNanos >= IDLE_NANOS;
    if (files.due(CHECKPOINT_BYTES, CHECKPOINT_FILES, CHECKPOINT_NANOS)
        || idle && lastSeq > checkpointedSeq) {
      checkpoint(session, lastSeq);
    }
  }

  private void begin(Session session) {
    if (!restored) {
      restore(session.lastCheckpoint());
    }
    begun = true;
    try {
      // The answer the server may still stream for a killed run of this download would fill
      // the connection with files this run may not need until its listing is through.
      requests.stopOldAnswer(session);
    } catch (LifelineException e) {
      fail(ClientSide.failure(e));
      return;
    }
    sendList(session);
  }

  private void sendList(Session session) {
    collector.restart();
    try {
      TransferService.trySendAfterRewind(session, TreeListing.list(prefix));
    } catch (LifelineException e) {
      fail(ClientSide.failure(e));
    }
  }

  /** Reopens the file a checkpoint names at its durable length (a re-run of this process). */
  private void restore(Checkpoint cp) {
    restored = true;
    lastSeq = cp.position();
    checkpointedSeq = cp.position();
    TreeDownloadState st = TreeDownloadState.decode(cp.state());
    if (st.name().isEmpty() || !set.validName(st.name())) {
      return;
    }
    try {
      Part p = new Part(st.name(), set.target(st.name()), st.size(), st.mtime(), st.fileSha());
      if (files.resume(p, st.offset(), st.prefixSha())) {
        p.request = st.request();
        p.fileNo = st.fileNo();
        log.info("tree download continues {} at byte {}", FileNames.printable(p.name),
            st.offset());
      } else if (st.offset() > 0) {
        listener.notice(FileNames.printable(st.name()) + ": the partial file no longer holds the "
            + st.offset() + " bytes its checkpoint describes; starting that file over");
      }
    } catch (IOException e) { // a TransferException too
      listener.notice("cannot continue " + FileNames.printable(st.name()) + ": " + e);
    }
  }

  @Override
  public void onMessage(Session session, long seq, ByteBuffer m) {
    receive(session, seq, new Pieces(m));
  }

  @Override
  public void onMessagePieces(Session session, long seq, ByteBuffer[] pieces) {
    receive(session, seq, new Pieces(pieces));
  }

  private void receive(Session session, long seq, Pieces m) {
    lastSeq = seq;
    lastMessageNanos = System.nanoTime();
    if (finished.isDone() || m.remaining() == 0) {
      return;
    }
    try {
      byte type = m.peek();
      if (type == TreeMessages.LISTING || type == TreeMessages.LIST_END) {
        collector.accept(m.flatten());
        if (!set.listed() && collector.result().isDone()) {
          listing(session, seq);
        }
        return;
      }
      m.get();
      if (type == TreeGetCodec.DCHUNK) {
        chunk(session, m);
      } else if (type == TreeGetCodec.META) {
        meta(session, m.flatten());
      } else if (type == TreeGetCodec.FERROR) {
        fileError(session, m.flatten());
      } else if (type == TreeGetCodec.GET_END) {
        end(session, m.flatten().getInt());
      } // PAD, or a single-file answer in a tree session: nothing to do
      if (!finished.isDone() && files.due(CHECKPOINT_BYTES, CHECKPOINT_FILES, CHECKPOINT_NANOS)) {
        checkpoint(session, seq);
      }
    } catch (TransferException e) {
      fail(e);
    } catch (IOException e) {
      fail(new TransferException(ReceivingFile.reasonOf(e), "cannot write into " + dir + ": "
          + e.getMessage(), e));
    }
  }

  /** The listing is complete (or refused): skip what is in place, then ask for the rest. */
  private void listing(Session session, long seq) throws IOException {
    List<TreeListing.Entry> entries;
    try {
      entries = collector.result().join();
    } catch (CompletionException e) {
      fail(ClientSide.failure(e.getCause()));
      return;
    }
    set.plan(entries);
    Part c = files.current();
    if (c != null && !set.isMissing(c.name)) {
      files.discardCurrent();
    }
    checkpoint(session, seq); // acknowledges the listing
    if (!maybeFinish(session)) {
      askForTheRest(session, true);
    }
  }

  private void meta(Session session, ByteBuffer b) throws IOException, TransferException {
    TreeGetCodec.Meta meta = TreeGetCodec.meta(b);
    if (!wanted(meta.name()) || meta.size() < 0) {
      return; // its chunks do not match the file in progress: they are dropped
    }
    Part c = files.current();
    if (c != null && c.name.equals(meta.name())) {
      if (c.size == meta.size() && java.util.Arrays.equals(c.sha, meta.sha())) {
        c.request = meta.request(); // a new answer continues the file in progress
        c.fileNo = meta.file();
        return;
      }
      listener.notice(FileNames.printable(meta.name())
          + " changed on the server since it began; starting it over");
    }
    Part p = new Part(meta.name(), set.target(meta.name()), meta.size(), meta.mtime(),
        meta.sha());
    p.request = meta.request();
    p.fileNo = meta.file();
    files.start(p);
    if (meta.size() == 0) {
      complete(session);
    }
  }

  private void chunk(Session session, Pieces m) throws IOException, TransferException {
    long tag = m.getLong();
    long offset = m.getLong();
    long length = m.remaining();
    Part c = files.current();
    if (c == null || c.request != (int) (tag >>> 32) || c.fileNo != (int) tag) {
      return;
    }
    if (offset > c.written) {
      // Not the continuation of what is held (messages dropped as covered): ask again from
      // what is held, once per position so a misbehaving server cannot make it loop.
      if (askedAgainAt.add(c.name + "\0" + c.written)) {
        askForTheRest(session, true);
      }
      return;
    }
    if (offset + length <= c.written) {
      return;
    }
    if (offset + length > c.size) {
      throw new TransferException(Reason.HASH_MISMATCH, "server sent bytes past the end of "
          + FileNames.printable(c.name));
    }
    files.append(m, offset, length);
    set.progress(c.written);
    if (c.complete()) {
      complete(session);
    }
  }

  private void complete(Session session) throws IOException {
    Part c = files.current();
    if (files.finishCurrent()) {
      set.arrived(c.name);
    } else {
      set.failed(c.name, c.size,
          "its SHA-256 is not the server's (the file changed while it was sent?)");
    }
    maybeFinish(session);
  }

  private void fileError(Session session, ByteBuffer b) throws IOException, TransferException {
    TreeGetCodec.FileError e = TreeGetCodec.fileError(b);
    if (!set.failed(e.name(), 0, e.reason() + ": " + e.message())) {
      return;
    }
    Part c = files.current();
    if (c != null && c.name.equals(e.name())) {
      files.discardCurrent();
    }
    maybeFinish(session);
  }

  /** The server's answer to the latest request ended: ask for what is still missing. */
  private void end(Session session, int req) throws IOException {
    if (req != requests.latest() || !set.listed() || maybeFinish(session)) {
      return;
    }
    Part c = files.current();
    String state = set.missingCount() + "/" + (c == null ? -1 : c.written);
    fruitlessEnds = state.equals(lastEndState) ? fruitlessEnds + 1 : 0;
    lastEndState = state;
    if (fruitlessEnds < MAX_FRUITLESS_ENDS) {
      listener.notice("the server's answer ended with " + set.missingCount()
          + " files still missing; asking for them again");
      askForTheRest(session, true);
      return;
    }
    files.discardCurrent();
    set.failAll("the server's answers ended without it");
    maybeFinish(session);
  }

  /** Makes what arrived durable, renames finished files into place and commits a checkpoint. */
  private void checkpoint(Session session, long seq) {
    try {
      set.inPlace(files.flush());
      checkpointedSeq = seq;
      CompletableFuture<Void> stored = ReceivingFile.commit(session, seq,
          files.state().encode());
      if (stored != null) {
        stored.exceptionally(e -> {
          log.warn("tree download checkpoint not stored: {}", e.toString());
          return null;
        });
      }
    } catch (IOException e) {
      fail(new TransferException(ReceivingFile.reasonOf(e), "cannot finish files in " + dir
          + ": " + e.getMessage(), e));
    }
  }

  /** Ends the set when nothing is missing: the last files renamed and checkpointed. */
  private boolean maybeFinish(Session session) {
    if (!set.complete() || files.current() != null || finished.isDone()) {
      return finished.isDone();
    }
    checkpoint(session, lastSeq);
    finished.complete(null);
    return true;
  }

  /**
   * Sends GET for what is missing: the file in progress from what is held, then the rest by
   * name. {@code force} false: not if the same request already follows every rewind so far.
   */
  private void askForTheRest(Session session, boolean force) {
    if (!set.listed() || finished.isDone()) {
      return;
    }
    Part c = files.current();
    List<String> names = set.missingNames(c == null ? null : c.name);
    long offset = c == null ? 0 : c.written;
    if (names.isEmpty()) {
      return;
    }
    try {
      requests.ask(session, offset, names, force);
    } catch (LifelineException e) {
      fail(ClientSide.failure(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean wanted(String name) {
    if (set.listed()) {
      return set.isMissing(name);
    }
    // Before the listing only the file a restored checkpoint names continues (from the answer
    // the server replays); files that may already be in place wait for the listing.
    Part c = files.current();
    return c != null && c.name.equals(name);
  }

  private void fail(TransferException e) {
    files.closeQuietly();
    finished.completeExceptionally(e);
  }

  @Override
  public boolean autoAcknowledge() {
    return false;
  }

  /**
   * The stream went back to the checkpoint: a re-run's restored session (take the file in
   * progress from the checkpoint), or the server restarted (keep everything held, which is
   * verified or durable as it arrives, and ask again from it).
   */
  @Override
  public void onInboundRewind(Session session, Checkpoint checkpoint) {
    if (!restored) {
      restore(checkpoint);
      return;
    }
    lastSeq = checkpoint.position();
    checkpointedSeq = checkpoint.position();
    askForTheRest(session, false);
  }

  /** The server lost what this side sent: the LIST, or the GET. */
  @Override
  public void onOutboundRewind(Session session, Checkpoint checkpoint) {
    if (!begun || finished.isDone()) {
      return;
    }
    if (!set.listed()) {
      sendList(session);
    } else {
      askForTheRest(session, false);
    }
  }

  @Override
  public void onResumed(Session session) {
    listener.reconnected(session.stats().reconnects());
  }
}
