package dev.lifeline.docs;

import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.Outbox;
import dev.lifeline.store.StoreException;
import java.nio.ByteBuffer;

/** Quoted by docs/store.md: what the session layer does with an outbox. */
public final class OutboxSample {
  private OutboxSample() {}

  static void sendDurably(CheckpointStore store, String resumeKey, ByteBuffer message,
      long peerCheckpoint) throws StoreException {
    // tag::outbox[]
    Outbox outbox = store.openOutbox(resumeKey);          // once per key per process
    outbox.read((seq, m) -> resend(seq, m));              // after a restart: what is still held
    long next = outbox.lastSeq() + 1;                     // continue after what is stored
    outbox.append(next, message).thenRun(() -> send(next, message)); // on the wire once durable
    outbox.trim(peerCheckpoint);                          // the peer stored everything up to it
    // end::outbox[]
  }

  static void send(long seq, ByteBuffer message) {
    // the session layer writes the frame here
  }

  static void resend(long seq, ByteBuffer message) {
    // the session layer queues a copy for the wire here
  }
}
