package dev.lifeline.transfer.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.store.Checkpoint;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upload the server has stored is final: a rewind that arrives while or after the file is
 * renamed into place (the client came back from a restart) or a replayed message reopens nothing,
 * ends nothing and keeps the "done" checkpoint. The server's {@link TransferService} is driven
 * callback by callback over a {@link FakeSession}, so each interleaving happens as written.
 */
class FinishedUploadTest {
  static final int SIZE = 200_000;
  static final long UPLOAD = 1;
  static final long CHUNK = 2;
  static final long END = 3;

  @TempDir Path dir;
  TransferService service;
  FakeSession session;
  byte[] data;
  Path stored;

  @BeforeEach
  void setUp() throws Exception {
    // No checkpoint between the request's and the done one: the test knows every position.
    service = new TransferService(dir.resolve("files"), 1 << 20, 1 << 30, Duration.ofHours(1));
    session = new FakeSession("s1");
    data = new byte[SIZE];
    new Random(18).nextBytes(data);
    stored = dir.resolve("files/up.bin");
  }

  @AfterEach
  void close() {
    service.onClosed(session, null);
  }

  void deliver(long seq, byte[] message) throws Exception {
    session.deliver(seq);
    service.onMessage(session, seq, ByteBuffer.wrap(message));
  }

  void uploadUpToEnd() throws Exception {
    deliver(UPLOAD, TransferDescriptor.upload(SIZE, 1_000_000L, "up.bin"));
    deliver(CHUNK, ByteBuffer.allocate(TransferDescriptor.CHUNK_HEADER + SIZE)
        .put(TransferDescriptor.CHUNK).putLong(0).put(data).array());
  }

  byte[] end() {
    return TransferDescriptor.end(Hashing.sha256().digest(data));
  }

  long answers(byte type) {
    return session.sent().stream().filter(m -> m[0] == type).count();
  }

  void assertStoredAndFinal(long donePosition) throws Exception {
    assertArrayEquals(data, Files.readAllBytes(stored));
    try (Stream<Path> partials = Files.list(dir.resolve("files/.partial"))) {
      assertEquals(List.of(), partials.toList(), "no partial file");
    }
    Checkpoint last = session.lastCheckpoint();
    TransferState st = TransferState.decode(last.state());
    assertTrue(st != null && st.done(), "the durable checkpoint says done: " + st);
    assertEquals(donePosition, last.position());
    assertEquals(List.of(), service.activeTransfers(), "nothing in progress any more");
    assertEquals(1, answers(TransferDescriptor.DONE), "one DONE");
    assertEquals(0, answers(TransferDescriptor.ERROR), "no ERROR");
  }

  /**
   * The client came back from a restart while the server renamed the file: the session reset the
   * stream on its own thread before END's handler committed "done", so the session refuses that
   * position. That refusal used to escape END and end the session with the file stored and no
   * DONE sent.
   */
  @Test
  void aRewindWhileStoringKeepsTheSessionAndCommitsDoneAtTheRewind() throws Exception {
    uploadUpToEnd();
    session.deliver(END);
    Checkpoint cp = session.rewindStream(); // the rewind, on the session's thread
    service.onMessage(session, END, ByteBuffer.wrap(end()));
    service.onInboundRewind(session, cp); // its callback, queued behind END
    // the client replays what followed the checkpoint
    deliver(CHUNK, ByteBuffer.allocate(TransferDescriptor.CHUNK_HEADER + 10)
        .put(TransferDescriptor.CHUNK).putLong(0).put(data, 0, 10).array());
    deliver(END, end());

    assertStoredAndFinal(UPLOAD);
  }

  /** The store had not made "done" durable yet when the client came back. */
  @Test
  void aRewindToTheCheckpointBeforeDoneReopensNothing() throws Exception {
    uploadUpToEnd();
    session.storeCompletes(false);
    deliver(END, end());
    Checkpoint cp = session.rewindStream();
    assertEquals(UPLOAD, cp.position());
    session.storeCompletes(true);
    service.onInboundRewind(session, cp);
    deliver(END, end());

    assertStoredAndFinal(UPLOAD);
  }

  /**
   * Not even the request's checkpoint was durable: the stream goes back to nothing and the client
   * replays UPLOAD. The stored upload used to be forgotten and the replayed request refused with
   * EXISTS.
   */
  @Test
  void aRewindToNoCheckpointAfterStoringKeepsTheUpload() throws Exception {
    session.storeCompletes(false);
    uploadUpToEnd();
    deliver(END, end());
    Checkpoint cp = session.rewindStream();
    assertEquals(Checkpoint.NONE.position(), cp.position());
    session.storeCompletes(true);
    service.onInboundRewind(session, cp);
    deliver(UPLOAD, TransferDescriptor.upload(SIZE, 1_000_000L, "up.bin"));

    assertStoredAndFinal(0);
    assertFalse(Files.exists(dir.resolve("files/.partial/s1")));
  }
}
