package dev.lifeline.examples.shipper;

import dev.lifeline.DurableReceiver;
import dev.lifeline.Session;
import dev.lifeline.store.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;

/**
 * The server's {@code --out} file, written by one shipper session at a time through a {@link
 * DurableReceiver.Sink}: records are appended as lines, {@code sync()} fsyncs them and returns the
 * file's length, which the library stores as the checkpoint's state before it acknowledges the
 * records; {@code rewind} truncates the file back to that length, dropping lines written after
 * the last checkpoint by a server that was killed. So the file holds every acknowledged record
 * exactly once.
 *
 * <p>A session that has not checkpointed yet has no length in its state; it keeps where its
 * lines begin in its session attributes instead, stored before its first line is written.
 *
 * <pre>{@code
 * RecordFile records = RecordFile.open(Path.of("records.txt"));
 * SessionHandler handler = DurableReceiver.builder(records::sinkFor).build();
 * }</pre>
 */
final class RecordFile implements AutoCloseable {
  /** Lines are copied here and written in one call per 256 KiB or sync. */
  private static final int BUFFER_BYTES = 256 << 10;

  private final Path path;
  private final FileChannel channel;
  /** The id of the session writing the file, or null; guarded by this. */
  private String writer;

  private RecordFile(Path path, FileChannel channel) {
    this.path = path;
    this.channel = channel;
  }

  /** Opens (creating if needed) the file; its content is kept. */
  static RecordFile open(Path path) throws IOException {
    return new RecordFile(path, FileChannel.open(path, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.READ));
  }

  /**
   * The sink of {@code session}: called by the {@link DurableReceiver} at the session's first
   * callback (its open, or its rewind when it was restored after a restart).
   *
   * @throws IllegalStateException if another session writes the file; that session then ends
   *     with an application error the client reports
   */
  synchronized DurableReceiver.Sink sinkFor(Session session) throws IOException {
    if (writer != null && !writer.equals(session.id())) {
      throw new IllegalStateException(path + " is being written by session " + writer
          + " (one shipper at a time)");
    }
    writer = session.id();
    return new LineSink(session);
  }

  private synchronized void release(String sessionId) {
    if (sessionId.equals(writer)) {
      writer = null;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** One session's lines; its callbacks run one at a time, so it needs no lock of its own. */
  private final class LineSink implements DurableReceiver.Sink {
    private final Session session;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    /** Where this session's lines begin when it has no checkpoint. */
    private final long base;
    /** Completes once {@link #base} is stored; no line is written before. */
    private CompletableFuture<Void> baseStored;
    /** File length up to the buffer: what was written with {@code channel.write}. */
    private long written;
    /** File length the last {@link #sync} made durable. */
    private long synced;

    LineSink(Session session) throws IOException {
      this.session = session;
      this.written = channel.size();
      this.synced = written;
      byte[] attributes = session.attributes();
      if (attributes.length == Long.BYTES) {
        base = ByteBuffer.wrap(attributes).getLong();
        baseStored = CompletableFuture.completedFuture(null);
      } else {
        // A new session (or one whose attributes never landed, and which then wrote nothing).
        base = written;
        baseStored = session.setAttributes(ByteBuffer.allocate(Long.BYTES).putLong(base).array());
      }
    }

    @Override
    public void write(long seq, ByteBuffer message) throws Exception {
      if (baseStored != null) {
        baseStored.get(); // once per session: a rewind must know where its lines begin
        baseStored = null;
      }
      boolean newline = message.hasRemaining() && message.get(message.limit() - 1) == '\n';
      int length = message.remaining() + (newline ? 0 : 1);
      if (length > buffer.remaining()) {
        flush();
      }
      if (length > buffer.capacity()) {
        written += channel.write(message.duplicate(), written);
      } else {
        buffer.put(message.duplicate());
      }
      if (!newline) {
        buffer.put((byte) '\n');
      }
    }

    @Override
    public byte[] sync() throws IOException {
      flush();
      // The data and the file's new length (fdatasync covers the size an append changed).
      channel.force(false);
      synced = written;
      return ByteBuffer.allocate(Long.BYTES).putLong(synced).array();
    }

    @Override
    public void rewind(Checkpoint checkpoint) throws IOException {
      long to = checkpoint.stateLength() == Long.BYTES
          ? ByteBuffer.wrap(checkpoint.state()).getLong() : base;
      truncate(to);
    }

    @Override
    public void closed(Throwable cause) throws IOException {
      try {
        truncate(synced); // what was never acknowledged is not in the file
      } finally {
        release(session.id());
      }
    }

    private void flush() throws IOException {
      buffer.flip();
      while (buffer.hasRemaining()) {
        written += channel.write(buffer, written);
      }
      buffer.clear();
    }

    private void truncate(long length) throws IOException {
      buffer.clear();
      if (channel.size() > length) {
        channel.truncate(length);
        channel.force(false);
      }
      written = length;
      synced = length;
    }
  }
}
