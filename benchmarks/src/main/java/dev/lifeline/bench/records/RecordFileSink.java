package dev.lifeline.bench.records;

import dev.lifeline.DurableReceiver;
import dev.lifeline.store.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sink of {@link RecordsLifelineBench}'s receiver: appends each record to one file through a
 * 1 MiB buffer; {@link #sync()} writes the buffer, fsyncs the file and returns its length as the
 * checkpoint state, so {@link DurableReceiver} acknowledges a record only once it is on disk.
 *
 * <p>It also checks the exactly-once contract as it goes: message {@code seq} must carry the
 * number {@code seq} in its first 8 bytes, and sequences must follow each other.
 *
 * <pre>{@code
 * RecordFileSink sink = new RecordFileSink(dir.resolve("records.out"));
 * SessionHandler receiver = DurableReceiver.builder(session -> sink).build();
 * }</pre>
 */
final class RecordFileSink implements DurableReceiver.Sink {

  private final FileChannel out;
  // Owned by the session's callback thread (DurableReceiver calls a sink one call at a time).
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
  private long fileLength;
  private long lastSeq;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong syncs = new AtomicLong();
  private volatile String error;

  RecordFileSink(Path file) throws IOException {
    this.out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  @Override
  public void write(long seq, ByteBuffer message) throws IOException {
    long number = message.getLong(message.position());
    if (seq != lastSeq + 1 || number != seq) {
      error = "expected record " + (lastSeq + 1) + ", got seq " + seq + " carrying " + number;
      throw new IllegalStateException(error);
    }
    lastSeq = seq;
    if (buffer.remaining() < message.remaining()) {
      drain();
    }
    buffer.put(message);
    received.incrementAndGet();
  }

  @Override
  public byte[] sync() throws IOException {
    drain();
    out.force(false);
    syncs.incrementAndGet();
    return ByteBuffer.allocate(8).putLong(fileLength).array();
  }

  @Override
  public void rewind(Checkpoint checkpoint) {
    // Not expected in a run without faults; a rewind would make the run's figures meaningless.
    error = "inbound rewind to " + checkpoint.position();
  }

  private void drain() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      fileLength += out.write(buffer);
    }
    buffer.clear();
  }

  long received() {
    return received.get();
  }

  long syncs() {
    return syncs.get();
  }

  /** Why the contract broke, or {@code null}. */
  String error() {
    return error;
  }

  @Override
  public void closed(Throwable cause) throws IOException {
    out.close();
  }
}
