package dev.lifeline.internal.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDecoder;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.FrameEncoder;
import dev.lifeline.store.Checkpoint;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint and an inbound rewind that cross: the application of a live receiver commits a
 * checkpoint, the sender restarts and the resume rewinds the receiver's stream to its last durable
 * checkpoint, and the commit lands in the store after that. Stores only move checkpoints forward,
 * so the late commit is the truth from then on: the rewind must end up at it, the application must
 * not be told to discard what it covers, the messages it covers must not be delivered again, and
 * no ACK may name a message the sender has not sent since it rewound.
 */
class CheckpointAcrossRewindTest {
  /** Application callbacks wait here until the test runs them. */
  private final Queue<Runnable> appTasks = new ArrayDeque<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final HandPersistence persistence = new HandPersistence();
  private final Receiver app = new Receiver();
  private final EmbeddedChannel first = new EmbeddedChannel();
  private final EmbeddedChannel second = new EmbeddedChannel();
  private final EmbeddedChannel third = new EmbeddedChannel();

  @AfterEach
  void tearDown() {
    first.finishAndReleaseAll();
    second.finishAndReleaseAll();
    third.finishAndReleaseAll();
    timer.shutdownNow();
  }

  /** Commits complete only when the test says so, like a store whose sync is slow. */
  static final class HandPersistence implements SessionPersistence {
    final Map<Long, CompletableFuture<Void>> commits = new LinkedHashMap<>();

    @Override
    public CompletableFuture<Void> commit(Checkpoint checkpoint) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      commits.put(checkpoint.position(), f);
      return f;
    }

    @Override
    public byte[] attributes() {
      return new byte[0];
    }

    @Override
    public CompletableFuture<Void> setAttributes(byte[] attributes) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void released(SessionCore session, boolean forget) {}
  }

  /** A durable receiver: acknowledges only through checkpoints, records what it was told. */
  static final class Receiver implements SessionHandler {
    final List<Long> messages = new ArrayList<>();
    final List<Long> rewoundTo = new ArrayList<>();
    /** Runs inside onMessage for this sequence, once. */
    long interruptAt;
    ThrowingRunnable interrupt;

    @Override
    public boolean autoAcknowledge() {
      return false;
    }

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
      messages.add(seq);
      if (seq == interruptAt && interrupt != null) {
        ThrowingRunnable r = interrupt;
        interrupt = null;
        r.run();
      }
    }

    @Override
    public void onInboundRewind(Session session, Checkpoint checkpoint) {
      rewoundTo.add(checkpoint.position());
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private SessionCore session() throws Exception {
    SessionConfig config = new SessionConfig(1024, 64 * 1024, 1 << 20, appTasks::add, timer);
    SessionCore core = new SessionCore(config, app, persistence);
    core.assignId("rewind");
    core.attach(first, null, false, null);
    acks(first); // the ACK 0 every attach writes
    return core;
  }

  private static void receive(SessionCore core, EmbeddedChannel ch, long from, long to)
      throws Exception {
    for (long seq = from; seq <= to; seq++) {
      core.onData(ch, new Frame.Data(seq, Unpooled.copiedBuffer("m" + seq, UTF_8)));
    }
  }

  private void runAppTasks(EmbeddedChannel ch) {
    ch.runPendingTasks();
    for (Runnable r; (r = appTasks.poll()) != null; ) {
      r.run();
    }
    ch.runPendingTasks();
  }

  /** The ACKs written on {@code ch}, in order. */
  private static List<Long> acks(EmbeddedChannel ch) {
    ch.runPendingTasks();
    List<Long> acks = new ArrayList<>();
    for (Object o; (o = ch.readOutbound()) != null; ) {
      if (o instanceof Frame.Ack a) {
        acks.add(a.seq());
      } else if (o instanceof Frame.Data d) {
        d.release();
      }
    }
    return acks;
  }

  /** The peer lost its buffer (it restarted): RESUME with nothing to replay, as a restored side. */
  private static final Frame.StreamState RESTARTED_PEER =
      new Frame.StreamState(0, 0, new byte[0], FrameDescriptor.NO_REPLAY);

  /** Resumes on {@link #second} as the server; returns the state RESUMED told the peer. */
  private Frame.StreamState resumeAfterPeerRestart(SessionCore core) throws Exception {
    core.detach(first, new java.io.IOException("the peer restarted"));
    List<Frame.StreamState> told = new ArrayList<>();
    core.attach(second, RESTARTED_PEER, false, mine -> {
      told.add(mine);
      return new Frame.Resumed(new byte[32], mine);
    });
    return told.get(0);
  }

  @Test
  void aCommitLandingAfterARewindMovesTheRewindToItAndNothingIsAcknowledgedAheadOfTheSender()
      throws Exception {
    SessionCore core = session();
    receive(core, first, 1, 15);
    runAppTasks(first);
    core.checkpoint(10, "at-10".getBytes(UTF_8));
    persistence.commits.get(10L).complete(null);
    CompletableFuture<Void> fifteen = core.checkpoint(15, "at-15".getBytes(UTF_8));
    runAppTasks(first);
    assertEquals(List.of(10L), acks(first));

    Frame.StreamState told = resumeAfterPeerRestart(core);
    assertEquals(10, told.checkpointSeq(), "the sender rewinds to the durable checkpoint, 10");
    runAppTasks(second);
    assertTrue(app.rewoundTo.isEmpty(),
        "the rewind is not reported while a commit issued before it may still land: the "
            + "application would discard what the store is about to say it holds");

    persistence.commits.get(15L).complete(null); // durable now, after the rewind
    assertTrue(fifteen.isDone() && !fifteen.isCompletedExceptionally());
    runAppTasks(second);
    assertEquals(List.of(15L), app.rewoundTo, "the rewind ends at what the store holds");
    assertEquals(15, core.lastCheckpoint().position());
    assertTrue(acks(second).stream().allMatch(a -> a <= 10),
        "the sender has sent nothing after 10 since it rewound; an ACK beyond it is a "
            + "PROTOCOL_ERROR there, or drops messages the receiver never got");

    // the sender produces 11.. again; 11..15 are in the application's checkpointed state
    app.messages.clear();
    receive(core, second, 11, 13);
    runAppTasks(second);
    assertEquals(List.of(), app.messages, "11..13 are covered by checkpoint 15");
    assertEquals(List.of(13L), acks(second), "acknowledged up to what arrived, no further");
    receive(core, second, 14, 17);
    runAppTasks(second);
    assertEquals(List.of(16L, 17L), app.messages);
    assertEquals(List.of(15L), acks(second));
    core.checkpoint(17, "at-17".getBytes(UTF_8));
    persistence.commits.get(17L).complete(null);
    assertEquals(List.of(17L), acks(second));
    assertFalse(core.isClosed());
  }

  /**
   * After the crossing, the durable checkpoint (15) is ahead of what arrived since the rewind
   * (10) until the sender has produced 11..15 again. A connection lost in that window resumes
   * with exactly that state, as docs/protocol.md allows for the RESUME fields: the frame must
   * pass the peer's parser (it refused checkpointSeq > received with PROTOCOL_ERROR, so the
   * session could not resume at all), and the resume continues with nothing lost or repeated.
   */
  @Test
  void aConnectionLostBeforeTheSenderCaughtUpWithTheLandedCheckpointResumes() throws Exception {
    SessionCore core = session();
    receive(core, first, 1, 15);
    runAppTasks(first);
    core.checkpoint(10, "at-10".getBytes(UTF_8));
    persistence.commits.get(10L).complete(null);
    core.checkpoint(15, "at-15".getBytes(UTF_8));
    resumeAfterPeerRestart(core);
    persistence.commits.get(15L).complete(null);
    runAppTasks(second);
    assertEquals(List.of(15L), app.rewoundTo);
    receive(core, second, 11, 12); // the sender is producing 11.. again; the connection breaks
    runAppTasks(second);
    acks(second);
    core.detach(second, new java.io.IOException("cut"));

    Frame.StreamState mine = core.localState();
    assertEquals(12, mine.received());
    assertEquals(15, mine.checkpointSeq());
    Frame.Resume sent = new Frame.Resume("rewind", new byte[32], new byte[0], mine);
    EmbeddedChannel wire = new EmbeddedChannel(FrameEncoder.INSTANCE);
    EmbeddedChannel peer = new EmbeddedChannel(
        new FrameDecoder(FrameDescriptor.MAX_CONTROL_FRAME_SIZE));
    try {
      assertTrue(wire.writeOutbound(sent));
      assertTrue(peer.writeInbound((Object) wire.readOutbound()), "the peer parsed no RESUME");
      Frame.Resume parsed = (Frame.Resume) peer.readInbound();
      assertEquals(12, parsed.state().received());
      assertEquals(15, parsed.state().checkpointSeq());
    } finally {
      wire.finishAndReleaseAll();
      peer.finishAndReleaseAll();
    }

    // The sender still holds 13.. in its replay buffer: it continues after 12.
    core.attach(third, new Frame.StreamState(0, 0, new byte[0], 13), false, null);
    runAppTasks(third);
    app.messages.clear();
    receive(core, third, 13, 16);
    runAppTasks(third);
    assertEquals(List.of(16L), app.messages, "13..15 are covered by checkpoint 15");
    assertTrue(acks(third).stream().allMatch(a -> a <= 16));
    assertFalse(core.isClosed());
  }

  @Test
  void aCommitThatFailsAfterARewindLeavesTheRewindAtTheDurableCheckpoint() throws Exception {
    SessionCore core = session();
    receive(core, first, 1, 15);
    runAppTasks(first);
    core.checkpoint(10, "at-10".getBytes(UTF_8));
    persistence.commits.get(10L).complete(null);
    CompletableFuture<Void> fifteen = core.checkpoint(15, "at-15".getBytes(UTF_8));
    resumeAfterPeerRestart(core);
    runAppTasks(second);
    assertTrue(app.rewoundTo.isEmpty());
    persistence.commits.get(15L).completeExceptionally(new java.io.IOException("disk full"));
    assertTrue(fifteen.isCompletedExceptionally());
    runAppTasks(second);
    assertEquals(List.of(10L), app.rewoundTo);
    app.messages.clear();
    receive(core, second, 11, 12);
    runAppTasks(second);
    assertEquals(List.of(11L, 12L), app.messages);
    assertTrue(acks(second).stream().allMatch(a -> a <= 10));
  }

  /**
   * The other order: the application asks for a checkpoint of a position it got before the
   * rewind, after the rewind happened (an fsync finished late on another thread). The rewind
   * lowered the delivered position, so it is refused, naming the position it may checkpoint.
   */
  @Test
  void aCheckpointBeyondTheRewindAskedForAfterItIsRefused() throws Exception {
    SessionCore core = session();
    receive(core, first, 1, 15);
    runAppTasks(first);
    core.checkpoint(10, "at-10".getBytes(UTF_8));
    persistence.commits.get(10L).complete(null);
    resumeAfterPeerRestart(core);
    runAppTasks(second);
    assertEquals(List.of(10L), app.rewoundTo);
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> core.checkpoint(15, "at-15".getBytes(UTF_8)));
    assertTrue(refused.getMessage().contains("10"), refused.getMessage());
    assertFalse(persistence.commits.containsKey(15L), "nothing reached the store");
    assertEquals(10, core.lastCheckpoint().position());
    assertTrue(acks(second).stream().allMatch(a -> a <= 10));
  }

  /**
   * The resume happens while the application is still in onMessage for a message of the old
   * stream, and it checkpoints that message from there, as a receiver that syncs per message
   * does. The delivered position was already lowered by the rewind; the checkpoint used to be
   * refused with IllegalArgumentException, which out of onMessage ended the session with
   * APPLICATION_ERROR. It is a true statement about what the application holds, and the rewind
   * is not reported yet, so it is taken, and the rewind ends at it.
   */
  @Test
  void aCheckpointFromAMessageStillInTheHandlerAtTheRewindIsTaken() throws Exception {
    SessionCore core = session();
    receive(core, first, 1, 15);
    runAppTasks(first);
    core.checkpoint(10, "at-10".getBytes(UTF_8));
    persistence.commits.get(10L).complete(null);
    receive(core, first, 16, 16);
    app.interruptAt = 16;
    app.interrupt = () -> {
      assertEquals(10, resumeAfterPeerRestart(core).checkpointSeq());
      core.checkpoint(16, "at-16".getBytes(UTF_8));
    };
    runAppTasks(first);
    assertTrue(persistence.commits.containsKey(16L), "the checkpoint went to the store");
    runAppTasks(second);
    assertTrue(app.rewoundTo.isEmpty(), "not before the commit settled");
    persistence.commits.get(16L).complete(null);
    runAppTasks(second);
    assertEquals(List.of(16L), app.rewoundTo);
    assertFalse(core.isClosed());
    app.messages.clear();
    receive(core, second, 11, 17);
    runAppTasks(second);
    assertEquals(List.of(17L), app.messages);
    assertEquals(List.of(10L, 16L), acks(second));
  }

  /**
   * The client's side of the same race: its RESUME says checkpoint 10, commit 15 lands before
   * RESUMED (from a restarted server) arrives. The server rewinds to 10, the checkpoint the
   * RESUME named; the client continues after 15 and drops 11..15 as duplicates. Its ACK 15, sent
   * with the resume, used to reach a server that had sent nothing after 10: PROTOCOL_ERROR.
   */
  @Test
  void aClientWhoseCommitLandsWhileItsResumeIsInFlightAcknowledgesNothingAheadOfTheServer()
      throws Exception {
    SessionCore core = session();
    receive(core, first, 1, 15);
    runAppTasks(first);
    core.checkpoint(10, "at-10".getBytes(UTF_8));
    persistence.commits.get(10L).complete(null);
    CompletableFuture<Void> fifteen = core.checkpoint(15, "at-15".getBytes(UTF_8));
    core.detach(first, new java.io.IOException("the server restarted"));
    Frame.StreamState resume = core.localState(); // what the RESUME carries
    assertEquals(10, resume.checkpointSeq());
    persistence.commits.get(15L).complete(null); // durable while the RESUME is on its way
    assertTrue(fifteen.isDone());
    core.attach(second, RESTARTED_PEER, false, null); // RESUMED from the restarted server
    runAppTasks(second);
    assertEquals(List.of(15L), app.rewoundTo);
    assertTrue(acks(second).stream().allMatch(a -> a <= 10),
        "the server rewound to 10, the checkpoint the RESUME named");
    app.messages.clear();
    receive(core, second, 11, 16);
    runAppTasks(second);
    assertEquals(List.of(16L), app.messages);
    assertEquals(List.of(15L), acks(second));
    assertFalse(core.isClosed());
  }
}
