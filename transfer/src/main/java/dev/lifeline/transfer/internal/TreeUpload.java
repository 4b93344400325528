package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionStats;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.FileOutcome;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import dev.lifeline.transfer.TreeListener;
import dev.lifeline.transfer.TreeResult;
import dev.lifeline.transfer.internal.TreeUploadMessages.State;
import dev.lifeline.transfer.internal.TreeUploadWalk.Item;
import dev.lifeline.transfer.internal.TreeUploadWalk.Item.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of a tree upload: one session for the whole set, resumable as a set.
 *
 * <ol>
 *   <li>Walks the directory ({@link TreeUploadWalk}) and asks the server what it holds under the
 *       prefix (LIST, one round trip): a file stored with the same size and SHA-256 is skipped,
 *       one with other content fails (EXISTS; the server never overwrites).
 *   <li>Pipelines the rest without a round trip per file ({@link TreeUploadSender}): TREE_FILE,
 *       TREE_CHUNKs, TREE_END each; the answers (FILE_DONE, FILE_ERROR, NEED) are taken as they
 *       come.
 *   <li>SET_END; the server answers SET_DONE once a checkpoint covering everything landed. Files
 *       still unanswered then (the server restarted after answering and lost the answer) are
 *       checked against a listing.
 * </ol>
 *
 * A re-run with the same client store resumes the session: the stream rewinds to the server's
 * checkpoint, whose state names the file in progress and its durable offset; the listing tells
 * which files are stored.
 */
public final class TreeUpload {
  private static final Logger log = LoggerFactory.getLogger(TreeUpload.class);
  private static final long LIST_WAIT_SECONDS = 10;
  /** Rounds of checking unanswered files against a listing before they count as failed. */
  private static final int MAX_FALLBACKS = 3;
  /** How long nothing may arrive after SET_END before it is sent again. */
  private static final long SET_END_QUIET_NANOS = TimeUnit.SECONDS.toNanos(20);

  private final LifelineClient client;
  private final Path dir;
  private final String prefix;
  private final TreeListener listener;
  private final String key;
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
  // Put in events by session.onWritable while awaitRoom waits; ignored anywhere else.
  private static final Object WRITABLE = new Object();
  private final Map<String, Item> byName = new HashMap<>();
  private final Map<String, FileOutcome> outcomes = new LinkedHashMap<>();
  private final Deque<Item> queue = new ArrayDeque<>();
  private final TreeUploadSender sender;
  private volatile TreeListing.Collector collector;
  private List<Item> items;
  private int round = new SecureRandom().nextInt() & 0x3fffffff;
  private int lastSetDone = -1;
  private long lastRewind = -1;
  private long totalBytes;
  private boolean planned; // the listing was taken; the queue holds what is to be sent
  private long bytesDone;


  /** Thrown out of a send when the stream rewound; the queue has been rebuilt by then. */
  static final class Rewind extends Exception {
    private static final long serialVersionUID = 1L;

    Rewind() {
      super(null, null, false, false);
    }
  }

  private TreeUpload(LifelineClient client, String server, Path dir, String prefix,
      TreeListener listener) {
    this.client = client;
    this.dir = dir.toAbsolutePath().normalize();
    this.prefix = TreeListing.stripSlashes(prefix);
    this.listener = listener;
    this.key = ClientSide.resumeKey("tree-up", server, this.prefix, this.dir.toString());
    this.sender = new TreeUploadSender(this, listener);
  }

  public static TreeResult run(LifelineClient client, String server, Path dir, String prefix,
      TreeListener listener) throws TransferException, InterruptedException {
    return new TreeUpload(client, server, dir, prefix, listener).run();
  }

  private TreeResult run() throws TransferException, InterruptedException {
    long start = System.nanoTime();
    String problem = prefix.isEmpty() ? null : FileNames.treeProblem(prefix);
    if (problem != null) {
      throw new TransferException(Reason.INVALID_NAME, "prefix " + FileNames.printable(prefix)
          + " refused: " + problem);
    }
    try {
      items = TreeUploadWalk.walk(dir.toRealPath(), prefix, listener);
    } catch (IOException e) {
      throw new TransferException(Reason.NOT_FOUND, "cannot read the directory " + dir + ": "
          + e.getMessage(), e);
    }
    for (Item i : items) {
      byName.put(i.name, i);
      if (i.status == Status.FAILED) {
        finish(i, Status.FAILED, null, i.error);
      }
    }
    Session session = ClientSide.open(client, key,
        new TreeUploadAnswers(events, () -> collector, listener));
    try {
      plan(listing(session));
      sendSet(session);
    } catch (TransferException | InterruptedException | RuntimeException e) {
      session.abort(); // the session stays stored: a re-run continues it
      throw e;
    }
    ClientSide.closeQuietly(session);
    return result(start, session.stats());
  }

  // ------------------------------------------------------------------ listing and plan

  /** What the server stores under the prefix; asked again if the answer does not come. */
  private List<TreeListing.Entry> listing(Session session)
      throws TransferException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      TreeListing.Collector c = new TreeListing.Collector(prefix);
      collector = c;
      byte[] ask = TreeListing.list(prefix);
      while (true) {
        try {
          session.send(ask);
          break;
        } catch (StreamRewoundException e) {
          rewound(e.checkpoint());
        } catch (LifelineException e) {
          throw ClientSide.failure(e);
        }
      }
      try {
        List<TreeListing.Entry> entries = c.result().get(LIST_WAIT_SECONDS, TimeUnit.SECONDS);
        collector = null;
        return entries;
      } catch (ExecutionException e) {
        throw ClientSide.failure(e.getCause());
      } catch (TimeoutException e) {
        // A LIST the server's landed checkpoint covered (it crossed this run's rewind) is
        // dropped as a duplicate: asking again gets a message past it.
        if (attempt == 5) {
          throw new TransferException(Reason.UNREACHABLE, "the server did not list "
              + FileNames.printable(prefix));
        }
        log.info("no listing of {} after {} s; asking again", FileNames.printable(prefix),
            LIST_WAIT_SECONDS);
      }
    }
  }

  /** Skips what the server holds already, fails what it holds with other content. */
  private void plan(List<TreeListing.Entry> listing) {
    Map<String, TreeListing.Entry> listed = new HashMap<>();
    for (TreeListing.Entry e : listing) {
      listed.put(e.name(), e);
    }
    int skippedFiles = 0;
    long skippedBytes = 0;
    int files = 0;
    for (Item i : items) {
      TreeListing.Entry e = listed.get(i.name);
      if (!i.directory) {
        files++;
        totalBytes += i.size;
      }
      if (i.status != Status.PENDING || e == null) {
        continue;
      }
      if (i.directory) {
        i.status = e.directory() ? Status.DONE : Status.PENDING; // a file there: the server says
      } else if (e.directory() || e.size() != i.size) {
        finish(i, Status.FAILED, null, "the server holds " + FileNames.printable(i.name)
            + " with other content; it is never overwritten");
      } else {
        byte[] local = sender.hashOf(i);
        if (local != null && MessageDigest.isEqual(local, e.sha())) {
          finish(i, Status.SKIPPED, local, null);
          skippedFiles++;
          skippedBytes += i.size;
        } else if (local != null) {
          finish(i, Status.FAILED, null, "the server holds " + FileNames.printable(i.name)
              + " with other content (SHA-256 " + Hashing.hex(e.sha())
              + "); it is never overwritten");
        }
      }
    }
    bytesDone = skippedBytes;
    planned = true;
    rebuildQueue();
    listener.started(files, totalBytes, skippedFiles, skippedBytes);
  }

  // ------------------------------------------------------------------ the set

  private void sendSet(Session session) throws TransferException, InterruptedException {
    int fallbacks = 0;
    while (true) {
      sendQueued(session);
      int r = ++round;
      try {
        send(session, ByteBuffer.wrap(TreeUploadMessages.setEnd(r, countFiles())));
      } catch (Rewind e) {
        continue;
      }
      long quietSince = System.nanoTime();
      while (lastSetDone != r && queue.isEmpty()) {
        Object e = events.poll(1, TimeUnit.SECONDS);
        if (e != null) {
          handle(e);
          quietSince = System.nanoTime();
        } else if (System.nanoTime() - quietSince > SET_END_QUIET_NANOS) {
          // A SET_END that a checkpoint crossing a rewind covered was dropped as a duplicate
          // (docs/protocol.md): nothing would answer it. A new round costs one small message.
          log.info("no SET_DONE for round {} after {} s; asking again", r,
              SET_END_QUIET_NANOS / 1_000_000_000L);
          break;
        }
      }
      if (!queue.isEmpty() || lastSetDone != r) {
        continue;
      }
      List<Item> unanswered = items.stream().filter(i -> i.status == Status.SENT).toList();
      if (unanswered.isEmpty()) {
        return;
      }
      if (++fallbacks > MAX_FALLBACKS) {
        for (Item i : unanswered) {
          finish(i, Status.FAILED, null, "the server never confirmed it");
        }
        return;
      }
      checkUnanswered(session, unanswered);
    }
  }

  /**
   * Files the server answered before it restarted, whose answers were lost with it: stored with
   * the SHA-256 this side sent they are done; otherwise they are sent again.
   */
  private void checkUnanswered(Session session, List<Item> unanswered)
      throws TransferException, InterruptedException {
    Map<String, TreeListing.Entry> listed = new HashMap<>();
    for (TreeListing.Entry e : listing(session)) {
      listed.put(e.name(), e);
    }
    for (Item i : unanswered) {
      TreeListing.Entry e = listed.get(i.name);
      if (e != null && !e.directory() && MessageDigest.isEqual(e.sha(), i.sha)) {
        finish(i, Status.DONE, i.sha, null);
      } else {
        requeue(i, 0);
      }
    }
  }

  private void sendQueued(Session session) throws TransferException, InterruptedException {
    Item i;
    while ((i = queue.poll()) != null) {
      if (i.status != Status.PENDING) {
        continue;
      }
      try {
        sender.send(session, i);
      } catch (Rewind e) {
        // the queue was rebuilt from the checkpoint
      }
      drainEvents();
    }
  }

  private int countFiles() {
    return (int) items.stream().filter(i -> !i.directory).count();
  }

  // ------------------------------------------------------------------ called by the sender

  /** Sends, or on a rewind rebuilds the queue from the checkpoint and throws {@link Rewind}. */
  CompletableFuture<Void> send(Session session, ByteBuffer m)
      throws Rewind, TransferException, InterruptedException {
    awaitRoom(session);
    try {
      return session.send(m);
    } catch (StreamRewoundException e) {
      rewound(e.checkpoint());
      throw new Rewind();
    } catch (LifelineException e) {
      throw ClientSide.failure(e);
    }
  }

  /**
   * Waits for room in the replay buffer while taking the server's answers. Blocked inside {@code
   * send} instead, this thread reported no file finished for as long as the buffer stayed full
   * (a stalled connection: nothing acknowledged), though FILE_DONEs kept arriving; a client
   * killed then had printed none of the files the server had stored (found by a fresh-clone run
   * of TreeEndToEndTest). Ends when there is room, or with the session's failure.
   */
  private void awaitRoom(Session session) throws TransferException, InterruptedException {
    boolean asked = false;
    while (!session.isWritable()) {
      if (!asked) {
        session.onWritable(() -> events.add(WRITABLE));
        asked = true;
      }
      Object e = events.take();
      if (e == WRITABLE) {
        asked = false;
      } else {
        handle(e);
      }
    }
  }

  /** Takes the answers that arrived, without waiting. */
  void drainEvents() throws TransferException {
    Object e;
    while ((e = events.poll()) != null) {
      if (e != WRITABLE) {
        handle(e);
      }
    }
  }

  /** Sends {@code i} again later, from {@code offset}. */
  void requeue(Item i, long offset) {
    i.status = Status.PENDING;
    i.from = offset;
    i.fromSha = null;
    queue.addLast(i);
  }

  /** Counts bytes toward the progress bar. */
  void progressed(long bytes) {
    bytesDone += bytes;
    listener.progress(outcomes.size(), Math.min(bytesDone, totalBytes));
  }

  void finish(Item i, Status status, byte[] sha, String error) {
    i.status = status;
    if (i.directory && status != Status.FAILED) {
      return;
    }
    FileOutcome o = new FileOutcome(i.name, i.size, sha == null ? "" : Hashing.hex(sha),
        status == Status.FAILED ? FileOutcome.Status.FAILED : status == Status.SKIPPED
            ? FileOutcome.Status.SKIPPED : FileOutcome.Status.TRANSFERRED, error);
    outcomes.remove(i.name);
    outcomes.put(i.name, o);
    listener.fileFinished(o);
    listener.progress(outcomes.size(), Math.min(bytesDone, totalBytes));
  }

  // ------------------------------------------------------------------ answers and rewinds

  private void handle(Object e) throws TransferException {
    if (e instanceof TreeUploadAnswers.FileDone d) {
      Item i = byName.get(d.name());
      if (i != null && (i.status == Status.SENT || i.status == Status.PENDING) && i.sha != null) {
        if (MessageDigest.isEqual(d.sha(), i.sha)) {
          finish(i, Status.DONE, i.sha, null);
        } else {
          finish(i, Status.FAILED, null, "the server stored SHA-256 " + Hashing.hex(d.sha())
              + " but the file's is " + Hashing.hex(i.sha));
        }
      }
    } else if (e instanceof TreeUploadAnswers.FileError f) {
      Item i = byName.get(f.name());
      if (i != null && (i.directory || !i.isFinal())) {
        finish(i, Status.FAILED, null, f.message());
      }
    } else if (e instanceof TreeUploadAnswers.Need n) {
      Item i = byName.get(n.name());
      if (i != null && i.status != Status.FAILED && i.status != Status.SKIPPED) {
        outcomes.remove(i.name);
        requeue(i, n.offset());
      }
    } else if (e instanceof TreeUploadAnswers.SetDone s) {
      lastSetDone = s.round();
    } else if (e instanceof TreeUploadAnswers.Rewound r) {
      if (r.checkpoint().position() != lastRewind) {
        rewound(r.checkpoint());
      }
    } else if (e instanceof TreeUploadAnswers.Failed f) {
      throw f.error();
    }
  }

  /**
   * The server lost what followed its checkpoint (it restarted past this side's replay buffer,
   * or this process is a re-run): every file not answered is sent again, in order, and the one
   * the checkpoint was in continues from its durable offset if the local file still starts so.
   */
  private void rewound(Checkpoint cp) {
    lastRewind = cp.position();
    for (Item i : items) {
      if (i.status == Status.SENT) {
        i.status = Status.PENDING;
        i.from = 0;
      }
    }
    State st = State.decode(cp.state());
    if (st != null && !st.between()) {
      Item i = byName.get(st.name());
      if (i != null && i.status == Status.PENDING && !i.directory) {
        i.from = st.offset();
        i.fromSha = st.prefixSha();
        i.fromSize = st.size();
        i.fromMtime = st.mtime();
      }
    }
    log.info("the server continues from its checkpoint at message {} ({})", cp.position(),
        st == null || st.between() ? "between files" : FileNames.printable(st.name()) + " at "
            + st.offset());
    if (planned) {
      rebuildQueue();
    }
  }

  private void rebuildQueue() {
    queue.clear();
    for (Item i : items) {
      if (i.status == Status.PENDING) {
        queue.add(i);
      }
    }
  }


  private TreeResult result(long start, SessionStats s) {
    int skipped = 0;
    int failed = 0;
    for (FileOutcome o : outcomes.values()) {
      skipped += o.status() == FileOutcome.Status.SKIPPED ? 1 : 0;
      failed += o.status() == FileOutcome.Status.FAILED ? 1 : 0;
    }
    return new TreeResult(prefix, countFiles(), totalBytes, (System.nanoTime() - start) / 1e9,
        s.reconnects(), s.tlsFull(), s.tlsResumed(), s.resentBytes() + sender.resentBytes(),
        skipped, failed, List.copyOf(outcomes.values()));
  }
}
