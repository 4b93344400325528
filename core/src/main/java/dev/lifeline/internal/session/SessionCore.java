package dev.lifeline.internal.session;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionRefusedException;
import dev.lifeline.SessionStats;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.Outbox;
import dev.lifeline.store.StoreException;
import io.netty.channel.Channel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one session, shared by the client and the server and independent of any
 * connection. Connection handlers {@linkplain #attach attach} it to a connection after OPEN or
 * RESUME and feed it frames; the session does its I/O through that connection's {@link
 * ConnectionPort} only. The application calls the {@link Session} methods from any thread.
 *
 * <p>This class holds the connection the session is attached to, attach and detach, ACKs and
 * the counters, and delegates each other responsibility to one package-private part:
 *
 * <ul>
 *   <li>{@link OutboundStream} and {@link InboundStream}: the stream state, no Netty;
 *   <li>{@link SessionSender}: {@code send}, {@code trySend}, the wait for room, {@code
 *       onWritable};
 *   <li>{@link InboundDelivery}: DATA taken in, handed to the handler in order, read pausing;
 *   <li>{@link SessionWriter}: the write task, ACK and DATA frames, one flush;
 *   <li>{@link CheckpointCommits}: the application's checkpoints on their way to the store;
 *   <li>{@link Resumption}: the resume plan applied to both streams, and reported;
 *   <li>{@link SessionEnding}: close, abort, terminate and the session's phase.
 * </ul>
 *
 * <p>One lock: this object's monitor guards all mutable state of the session and of its parts,
 * which synchronize on it too (a blocking send {@code wait()}s on it; attach, an ACK that frees
 * room and the end {@code notifyAll()}). Application callbacks, future completions and store
 * calls never run while it is held. DATA frames are written only on the connection's I/O thread
 * (by {@link #drain(Channel)}, the write task and {@link #attach}), in sequence order, so
 * concurrent senders cannot reorder the stream.
 */
public final class SessionCore implements Session {
  private static final Logger log = LoggerFactory.getLogger(SessionCore.class);

  private final SessionConfig config;
  private final SessionHandler handler;
  private final SerialExecutor app;
  private final SessionPersistence persistence;

  private volatile String id;

  // Both streams; guarded by this.
  private final OutboundStream out;
  private final InboundStream in;
  // The application's send path; shares this lock.
  private final SessionSender sender;
  // How the session ends: close, abort, terminate, and the phase; shares this lock.
  private final SessionEnding ending;
  // Messages from the connection to the application, and read pausing; shares this lock.
  private final InboundDelivery delivery;
  // Writes ACK and DATA frames to the connection; shares this lock.
  private final SessionWriter writer;
  // The application's checkpoints on their way to the store; shares this lock.
  private final CheckpointCommits commits;
  // Applies a resume plan to both streams and reports it; shares this lock.
  private final Resumption resumption;

  // The durable outbox, null without one; set once before the session is used.
  private SessionOutbox outbox;

  // Connection; guarded by this.
  // The connection the session is attached to; null between connections.
  private ConnectionPort port;
  private boolean connected;

  // Counters; guarded by this.
  private long reconnects;
  private long tlsFull;
  private long tlsResumed;

  public SessionCore(SessionConfig config, SessionHandler handler, SessionPersistence persistence) {
    this.config = config;
    this.handler = handler;
    this.app = new SerialExecutor(config.appExecutor());
    this.persistence = persistence;
    this.out = new OutboundStream(config.replayGrowth());
    this.in = new InboundStream(config.autoAcknowledge() && handler.autoAcknowledge());
    this.sender = new SessionSender(this, config, out, app);
    this.ending = new SessionEnding(this, config, out, sender, app, handler);
    this.delivery = new InboundDelivery(this, config, in, app, handler);
    this.writer = new SessionWriter(this, out, in);
    this.commits = new CheckpointCommits(this, in, persistence);
    this.resumption = new Resumption(this, out, in, app, handler, commits);
  }

  /**
   * Prepares a session loaded from a store by a process that did not create it: the replay buffer
   * is gone, so the first resume rewinds the outbound stream to the peer's checkpoint, and the
   * inbound stream starts after this side's own checkpoint.
   */
  public synchronized void restore(String id, Checkpoint checkpoint) {
    this.id = id;
    resumption.restoredLocked();
    out.replayLost();
    in.restore(checkpoint);
  }

  /**
   * Gives the session a durable outbox (before it is used): what it sends from now on is durable
   * in {@code store} before it goes on the wire, and what the outbox holds already is loaded to
   * be sent (again): this session's message {@code seq} is the outbox's {@code base + seq}.
   * Returns how many messages were loaded.
   */
  public synchronized int useOutbox(Outbox store, long base) throws StoreException {
    outbox = new SessionOutbox(this, out, store, base, config.timer());
    return outbox.loadLocked();
  }

  /** The outbox's identity, or empty without one: a new session sends it in OPEN. */
  public synchronized byte[] producerId() {
    return outbox == null ? new byte[0] : outbox.producerId();
  }

  /** The outbox's number of this session's message 0 (0 without an outbox). */
  public synchronized long producerBase() {
    return outbox == null ? 0 : outbox.base();
  }

  /**
   * A new session that starts its inbound stream after {@code checkpoint}: what a producer stored
   * in earlier sessions ({@code Producers}); messages up to it are dropped as duplicates.
   */
  public synchronized void startAfter(Checkpoint checkpoint) {
    in.restore(checkpoint);
  }

  public void assignId(String id) {
    this.id = id;
  }

  @Override
  public String id() {
    return id;
  }

  SessionPersistence persistence() {
    return persistence;
  }

  /**
   * This side's view of both streams, for RESUME; remembers the checkpoint it names, which is
   * where the peer rewinds to if it must.
   */
  public synchronized Frame.StreamState localState() {
    Frame.StreamState state = snapshot();
    in.told(state.checkpointSeq());
    return state;
  }

  private synchronized Frame.StreamState snapshot() {
    Checkpoint cp = in.lastCheckpoint();
    return new Frame.StreamState(in.received(), cp.position(), cp.state(), out.replayFrom());
  }

  // ---------------------------------------------------------------- connection side (event loop)

  /**
   * Binds the session to a new connection. {@code peer} is the peer's state for a resume, {@code
   * null} for a new session. {@code reply}, if not null, builds the frame that answers the client
   * (OPENED or RESUMED) from this side's state; it is written before anything else on the new
   * connection, from the same snapshot the resume plan is computed from.
   *
   * @throws ProtocolException if the peer's state contradicts this side's
   */
  public void attach(Channel ch, Frame.StreamState peer, boolean handshakeResumed,
      Function<Frame.StreamState, Frame> reply) throws ProtocolException {
    attach(ChannelPort.of(ch), peer, handshakeResumed, reply);
  }

  /** As {@link #attach(Channel, Frame.StreamState, boolean, Function)}, on a connection's port. */
  void attach(ConnectionPort ch, Frame.StreamState peer, boolean handshakeResumed,
      Function<Frame.StreamState, Frame> reply) throws ProtocolException {
    Resumption.Rebound r = bind(ch, peer, handshakeResumed, reply);
    if (r.old() != null && r.old() != ch) {
      r.old().close();
    }
    resumption.report(r, peer != null);
    if (ch.inEventLoop()) {
      // The ACK and the replayed messages leave with the answer (and, on the client, CONFIRM,
      // written just before): one TLS record and one write for the whole resume.
      writer.writeAndFlush(ch, true);
    } else {
      ch.flush();
      scheduleWrite();
    }
    sender.runWritableTasksIfRoom();
    ending.maybeFinishClose();
  }

  /** The part of {@link #attach} under the lock: answer, resume plan, new connection. */
  private synchronized Resumption.Rebound bind(ConnectionPort ch, Frame.StreamState peer,
      boolean handshakeResumed, Function<Frame.StreamState, Frame> reply)
      throws ProtocolException {
    if (ending.isClosedLocked()) {
      throw new ProtocolException(ErrorCode.UNKNOWN_SESSION, "session " + id + " is closed");
    }
    ConnectionPort old = port;
    Frame.StreamState mine = snapshot();
    if (reply != null) {
      in.told(mine.checkpointSeq()); // the answer carries this snapshot
      if (peer != null) {
        mine = resumption.answerLocked(mine, peer);
      }
      ch.write(reply.apply(mine));
    }
    if (handshakeResumed) {
      tlsResumed++;
    } else {
      tlsFull++;
    }
    Resumption.Rebound r = resumption.applyLocked(ch, old, mine, peer);
    if (peer != null) {
      reconnects++;
    }
    port = ch;
    connected = true;
    in.connectionChanged();
    out.newConnection();
    delivery.connectionChangedLocked();
    notifyAll();
    return r;
  }

  /** The connection under the session is gone; the session itself lives on. */
  public void detach(Channel ch, Throwable cause) {
    detach(ChannelPort.of(ch), cause);
  }

  void detach(ConnectionPort ch, Throwable cause) {
    synchronized (this) {
      if (log.isDebugEnabled()) {
        log.debug("session {}: {} inactive ({}), attached to {}", id, ch, cause, port);
      }
      if (port != ch) {
        return;
      }
      port = null;
      connected = false;
      if (ending.isClosedLocked()) {
        return;
      }
    }
    app.execute(() -> handler.onDisconnected(this, cause));
  }

  /** A DATA frame arrived. Takes ownership of {@code data}. */
  public void onData(Channel ch, Frame.Data data) throws ProtocolException {
    onData(ChannelPort.of(ch), data);
  }

  void onData(ConnectionPort ch, Frame.Data data) throws ProtocolException {
    delivery.onData(ch, data);
  }

  /** Whether reading is paused because the application is behind (idle checks must not fire). */
  public boolean isReadPaused() {
    return delivery.isReadPaused();
  }

  /** The peer acknowledged everything up to {@code seq}. */
  public void onAck(Channel ch, long seq) throws ProtocolException {
    onAck(ChannelPort.of(ch), seq);
  }

  void onAck(ConnectionPort ch, long seq) throws ProtocolException {
    List<CompletableFuture<Void>> done;
    synchronized (this) {
      if (port != ch) {
        return;
      }
      done = out.acknowledge(seq);
      if (!done.isEmpty()) {
        notifyAll();
      }
    }
    if (outbox != null) {
      outbox.trim(seq);
    }
    for (CompletableFuture<Void> f : done) {
      f.complete(null);
    }
    if (!done.isEmpty()) {
      sender.runWritableTasksIfRoom();
      ending.maybeFinishClose();
    }
  }

  /** The peer sent CLOSE. */
  public void onPeerClose(ErrorCode code, String reason) {
    if (code == ErrorCode.NORMAL) {
      terminate(SessionEnd.FINISHED, ErrorCode.NORMAL, reason, null);
    } else if (!code.isResumable()) {
      terminate(SessionEnd.FINISHED, code, reason, new SessionRefusedException(code, reason));
    }
  }

  /** Writes what is due (an ACK, messages) on the connection's event loop; see SessionWriter. */
  void scheduleWrite() {
    writer.scheduleWrite();
  }

  /** Writes messages from the write cursor while the channel accepts them. Event loop only. */
  public void drain(Channel ch) {
    drain(ChannelPort.of(ch));
  }

  void drain(ConnectionPort ch) {
    writer.writeAndFlush(ch, false);
  }

  // ---------------------------------------------------------------- application side

  @Override
  public CompletableFuture<Void> send(byte[] message) throws InterruptedException, LifelineException {
    return sender.send(message);
  }

  @Override
  public CompletableFuture<Void> send(ByteBuffer message)
      throws InterruptedException, LifelineException {
    return sender.send(message);
  }

  @Override
  public CompletableFuture<Void> trySend(byte[] message) throws LifelineException {
    return sender.trySend(message);
  }

  @Override
  public CompletableFuture<Void> trySend(ByteBuffer message) throws LifelineException {
    return sender.trySend(message);
  }

  @Override
  public boolean isWritable() {
    return sender.isWritable();
  }

  @Override
  public void onWritable(Runnable task) {
    sender.onWritable(task);
  }

  @Override
  public synchronized long handedOver() {
    out.takePendingRewind(); // asked where to continue: the rewind is reported
    return producerBase() + out.nextSeq() - 1;
  }

  @Override
  public int maxMessageSize() {
    return config.maxMessageSize();
  }

  @Override
  public void setAutoAck(boolean autoAck) {
    synchronized (this) {
      in.autoAck(autoAck);
    }
    scheduleWrite();
  }

  @Override
  public CompletableFuture<Void> checkpoint(long position, byte[] state) {
    return commits.commit(position, state);
  }

  @Override
  public synchronized Checkpoint lastCheckpoint() {
    return in.lastCheckpoint();
  }

  @Override
  public byte[] attributes() {
    return persistence.attributes();
  }

  @Override
  public CompletableFuture<Void> setAttributes(byte[] attributes) {
    return persistence.setAttributes(attributes);
  }

  @Override
  public synchronized boolean isConnected() {
    return connected;
  }

  @Override
  public synchronized SessionStats stats() {
    return new SessionStats(reconnects, out.resentBytes(), out.rewinds(), tlsFull, tlsResumed,
        out.sentBytes(), in.receivedBytes(), out.windowBytes());
  }

  @Override
  public CompletableFuture<Void> close(Duration timeout) {
    return ending.close(timeout);
  }

  @Override
  public void abort() {
    ending.abort();
  }

  /**
   * Ends the session in this process, {@code how} deciding what the peer is told and whether the
   * stored record is deleted; {@code code} and {@code reason} go into a CLOSE if one is sent, and
   * {@code cause} (null for an orderly end) fails what is still outstanding. Only the first end
   * counts.
   */
  public void terminate(SessionEnd how, ErrorCode code, String reason, Throwable cause) {
    ending.terminate(how, code, reason, cause);
  }

  @Override
  public CompletableFuture<Void> closeFuture() {
    return ending.closeFuture();
  }

  public synchronized boolean isClosed() {
    return ending.isClosedLocked();
  }

  /** Runs the application's {@link SessionHandler#onOpen} for a new session. */
  public void fireOpened() {
    app.execute(() -> handler.onOpen(this));
  }

  @Override
  public void runInOrder(Runnable task) {
    app.execute(task);
  }

  /** The address of the peer the session is attached to now; null when it is not. */
  public synchronized String remoteAddress() {
    return port == null ? null : port.remoteAddress();
  }

  /** Whether the session is attached to the connection {@code ch} now. */
  public synchronized boolean isAttachedTo(Channel ch) {
    return port instanceof ChannelPort p && p.isOf(ch);
  }

  /** Unacknowledged outbound message bytes held for resend. */
  public synchronized long replayBufferedBytes() {
    return out.bufferedBytes();
  }

  /** The outbox made every message up to {@code seq} durable: they may be written. */
  void outboxDurable(long seq) {
    synchronized (this) {
      out.durable(seq);
    }
    scheduleWrite();
  }

  /** The session ended in this process; {@code forget}: its outbox goes with its record. */
  void outboxReleased(boolean forget) {
    if (outbox != null) {
      outbox.released(forget);
    }
  }

  // --------------------------------------------- for the parts; each caller holds this lock

  /** A message was appended to the outbound stream: into the outbox with it, if there is one. */
  void appendedLocked(ReplayBuffer.Entry e) {
    if (outbox != null) {
      outbox.appendLocked(e);
    }
  }

  /** The outbound stream restarts at {@code nextSeq} (a rewind): the outbox with it. */
  void outboundRestartedLocked(long nextSeq) {
    if (outbox != null) {
      outbox.resetLocked(nextSeq);
    }
  }

  /** Whether {@code ch} is the connection of this live session. */
  boolean isAttachedLocked(ConnectionPort ch) {
    assert Thread.holdsLock(this);
    return port == ch && !ending.isClosedLocked();
  }

  /** The connection the session is attached to, null between them. */
  ConnectionPort portLocked() {
    assert Thread.holdsLock(this);
    return port;
  }

  /** Whether the application may still send (neither closing nor closed). */
  boolean acceptsSendsLocked() {
    return ending.isOpenLocked();
  }

  /** Whether the session has ended. */
  boolean isClosedLocked() {
    return ending.isClosedLocked();
  }

  /** The connection, if attached and connected. */
  ConnectionPort connectedPortLocked() {
    assert Thread.holdsLock(this);
    return connected ? port : null;
  }

  /** The session ended: it lets go of its connection and returns it. */
  ConnectionPort releaseConnectionLocked() {
    assert Thread.holdsLock(this);
    ConnectionPort ch = port;
    port = null;
    connected = false;
    notifyAll();
    return ch;
  }

  @Override
  public String toString() {
    return "Session{" + id + "}";
  }
}
