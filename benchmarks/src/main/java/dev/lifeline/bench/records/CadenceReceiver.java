package dev.lifeline.bench.records;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server side of {@link RecordsLifelineBench}: a durable receiver that appends each record to
 * one file, and every {@code n} records, {@code b} bytes or {@code t} milliseconds, whichever
 * first, writes what it buffered, fsyncs the file and checkpoints the session (state: the file's
 * length), so a record is acknowledged only once it is on disk. It is the loop the library's
 * {@code DurableReceiver} runs; this copy keeps the benchmark independent of that class's arrival.
 *
 * <p>It also checks the exactly-once contract as it goes: record {@code i} must carry the number
 * {@code i} in its first 8 bytes and arrive as sequence {@code i}.
 *
 * <pre>{@code
 * CadenceReceiver sink = new CadenceReceiver(dir.resolve("records.out"), 4096, 1 << 20, 5);
 * LifelineServer.builder().autoAcknowledge(false).handler(sink)...start();
 * }</pre>
 */
final class CadenceReceiver implements SessionHandler, AutoCloseable {

  private final FileChannel out;
  private final int everyRecords;
  private final long everyBytes;
  private final long everyMillis;
  private final ScheduledExecutorService timer;
  // The application thread owns these (callbacks and runInOrder tasks run one at a time).
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
  private long fileLength;
  private long lastSeq;
  private long pendingRecords;
  private long pendingBytes;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong syncs = new AtomicLong();
  private volatile String error;

  CadenceReceiver(Path file, int everyRecords, long everyBytes, long everyMillis)
      throws IOException {
    this.out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    this.everyRecords = everyRecords;
    this.everyBytes = everyBytes;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cadence-timer");
      t.setDaemon(true);
      return t;
    });
    this.everyMillis = everyMillis;
  }

  @Override
  public boolean autoAcknowledge() {
    return false;
  }

  @Override
  public void onOpen(Session session) {
    // The tail of a burst is acknowledged by time: without this the last records would wait for
    // the next n-th one.
    timer.scheduleAtFixedRate(() -> session.runInOrder(() -> syncIfPending(session)),
        everyMillis, everyMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onMessage(Session session, long seq, ByteBuffer message) throws IOException {
    long number = message.getLong(message.position());
    if (seq != lastSeq + 1 || number != seq) {
      error = "expected record " + (lastSeq + 1) + ", got seq " + seq + " carrying " + number;
      throw new IllegalStateException(error);
    }
    lastSeq = seq;
    int length = message.remaining();
    if (buffer.remaining() < length) {
      drain();
    }
    buffer.put(message);
    pendingRecords++;
    pendingBytes += length;
    received.incrementAndGet();
    if (pendingRecords >= everyRecords || pendingBytes >= everyBytes) {
      sync(session);
    }
  }

  @Override
  public void onInboundRewind(Session session, Checkpoint checkpoint) {
    // Not expected in a benchmark without faults; refuse rather than measure a broken run.
    error = "inbound rewind to " + checkpoint.position();
  }

  private void syncIfPending(Session session) {
    if (pendingRecords > 0) {
      try {
        sync(session);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private void sync(Session session) throws IOException {
    drain();
    out.force(false);
    syncs.incrementAndGet();
    pendingRecords = 0;
    pendingBytes = 0;
    session.checkpoint(lastSeq, ByteBuffer.allocate(8).putLong(fileLength).array());
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
  public void close() throws IOException {
    timer.shutdownNow();
    out.close();
  }
}
