package dev.lifeline.transfer.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferListener;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A download that has renamed its file into place is final: a rewind or a message that arrives
 * afterwards (the server restarted near the end of the download, replays follow) reopens nothing,
 * asks for nothing and keeps the "done" checkpoint. The client's {@link Download} is driven
 * callback by callback over a {@link FakeSession}, so each interleaving happens exactly as
 * written. Found as a stray {@code TARGET.part} after {@code
 * TransferTest.downloadContinuesAfterServerRestart} in a fresh clone's build.
 */
class FinishedDownloadTest {
  static final int SIZE = 300_000;

  @TempDir Path dir;
  Path target;
  Path part;
  byte[] data;
  final List<String> restarts = new CopyOnWriteArrayList<>();
  /** Runs when the last byte was written, before the download hashes and renames. */
  Runnable beforeFinishing = () -> { };
  final TransferListener listener = new TransferListener() {
    @Override
    public void progress(long done) {
      if (done == SIZE) {
        beforeFinishing.run();
      }
    }

    @Override
    public void restarted(String reason) {
      restarts.add(reason);
    }
  };

  @BeforeEach
  void setUp() {
    target = dir.resolve("copy.bin");
    part = dir.resolve("copy.bin.part");
    data = new byte[SIZE];
    new Random(18).nextBytes(data);
  }

  /** A new download (as {@code Download.run} starts one) that received the whole file. */
  Download downloaded(FakeSession session) throws Exception {
    Download d = new Download(null, "localhost:1", "served.bin", target, listener, false);
    d.onInboundRewind(session, Checkpoint.NONE); // what run() does for a new session
    session.deliver(1);
    d.onMessage(session, 1, ByteBuffer.wrap(TransferDescriptor.meta(SIZE, 1_000_000L,
        Hashing.sha256().digest(data))));
    session.deliver(2);
    d.onMessage(session, 2, chunk(0, 100_000));
    session.deliver(3);
    d.onMessage(session, 3, chunk(100_000, SIZE));
    return d;
  }

  ByteBuffer chunk(int from, int to) {
    return ByteBuffer.allocate(TransferDescriptor.CHUNK_HEADER + to - from)
        .put(TransferDescriptor.CHUNK).putLong(from).put(data, from, to - from).flip();
  }

  static TransferState state(Checkpoint cp) {
    return TransferState.decode(cp.state());
  }

  @Test
  void aRewindAfterTheRenameLeavesNoPartFileAndAsksForNothing() throws Exception {
    FakeSession session = new FakeSession("s");
    Download d = downloaded(session);
    assertTrue(state(session.lastCheckpoint()).done(), "done checkpoint committed");
    assertArrayEquals(data, Files.readAllBytes(target));

    // The server restarts: the stream goes back to the (done) checkpoint, and the request
    // stream too; then a late replayed chunk arrives.
    Checkpoint cp = session.rewindStream();
    d.onInboundRewind(session, cp);
    session.countOutboundRewind();
    d.onOutboundRewind(session, Checkpoint.NONE);
    session.deliver(cp.position() + 1);
    d.onMessage(session, cp.position() + 1, chunk(100_000, SIZE));

    assertFalse(Files.exists(part), "no stray " + part);
    assertArrayEquals(data, Files.readAllBytes(target));
    assertEquals(List.of(), session.sent(), "a finished download asks for nothing");
    assertTrue(state(session.lastCheckpoint()).done());
    assertEquals(List.of(), restarts);
  }

  /**
   * The server restarts while the last chunk is being hashed and renamed: the session resets the
   * stream on its own thread first, so the "done" checkpoint (at the last chunk's position) is
   * refused, and the rewind callback runs after the rename.
   */
  @Test
  void aRewindWhileFinishingKeepsTheDoneCheckpointAndTheFile() throws Exception {
    FakeSession session = new FakeSession("s");
    Checkpoint[] rewoundTo = new Checkpoint[1];
    beforeFinishing = () -> rewoundTo[0] = session.rewindStream();
    Download d = downloaded(session);
    assertFalse(state(session.committed().get(session.committed().size() - 1)).done(),
        "the done checkpoint was refused, as the session refuses it after a rewind");

    d.onInboundRewind(session, rewoundTo[0]);

    assertFalse(Files.exists(part), "no stray " + part);
    assertArrayEquals(data, Files.readAllBytes(target));
    Checkpoint last = session.lastCheckpoint();
    assertTrue(state(last).done(), "done checkpoint committed again after the rewind");
    assertEquals(rewoundTo[0].position(), last.position());
    assertEquals(SIZE, state(last).offset());
    assertEquals(List.of(), restarts, "nothing started over");
  }

  /** The store had not made the done checkpoint durable when the server restarted. */
  @Test
  void aRewindToTheCheckpointBeforeDoneReopensNothing() throws Exception {
    FakeSession session = new FakeSession("s");
    beforeFinishing = () -> session.storeCompletes(false);
    Download d = downloaded(session);
    Checkpoint cp = session.rewindStream();
    assertFalse(state(cp) != null && state(cp).done(), "rewound to before done: " + cp);
    session.storeCompletes(true);

    d.onInboundRewind(session, cp);

    assertFalse(Files.exists(part), "no stray " + part);
    assertArrayEquals(data, Files.readAllBytes(target));
    assertTrue(state(session.lastCheckpoint()).done());
    assertEquals(List.of(), restarts, "nothing started over");
  }

  /**
   * The process died after the done checkpoint but before the session was closed; a re-run
   * restores the session. The file is in place and matches: nothing to fetch or reopen.
   */
  @Test
  void aReRunOfAFinishedDownloadFindsTheFileInPlace() throws Exception {
    FakeSession first = new FakeSession("s");
    downloaded(first);
    Checkpoint done = first.lastCheckpoint();

    FakeSession restored = new FakeSession("s");
    Download again = new Download(null, "localhost:1", "served.bin", target, listener, false);
    again.onInboundRewind(restored, done);
    restored.countOutboundRewind();
    again.onOutboundRewind(restored, Checkpoint.NONE);

    assertFalse(Files.exists(part), "no stray " + part);
    assertEquals(List.of(), restored.sent(), "nothing asked for again");
    assertArrayEquals(data, Files.readAllBytes(target));
    assertEquals(List.of(), restarts);
  }
}
