package dev.lifeline;

import dev.lifeline.store.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The sink a user of {@link DurableReceiver} writes for a file: each message appended with a
 * 4-byte length, {@code force} on sync with the file's length as the checkpoint state, truncation
 * to that length on rewind. It records what it was asked in a {@link Log} the test reads.
 */
final class FileSink implements DurableReceiver.Sink {
  private final FileChannel out;
  private final Log log;

  private FileSink(Path file, Log log) throws IOException {
    this.out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    this.log = log;
  }

  /** Sinks appending to the log's file, recording into {@code log}; one session per test. */
  static DurableReceiver.SinkFactory factory(Log log) {
    return session -> {
      log.session = session;
      return new FileSink(log.file, log);
    };
  }

  @Override
  public void write(long seq, ByteBuffer message) throws IOException {
    ByteBuffer record = ByteBuffer.allocate(4 + message.remaining());
    record.putInt(message.remaining()).put(message).flip();
    long at = out.size();
    while (record.hasRemaining()) {
      at += out.write(record, at);
    }
    log.event("write " + seq);
    log.written = seq;
  }

  @Override
  public byte[] sync() throws IOException {
    out.force(false);
    log.event("sync " + log.written);
    log.syncedUpTo = log.written;
    return ByteBuffer.allocate(8).putLong(out.size()).array();
  }

  @Override
  public void rewind(Checkpoint checkpoint) throws IOException {
    long length = checkpoint.stateLength() == 0 ? 0 : ByteBuffer.wrap(checkpoint.state()).getLong();
    out.truncate(length);
    log.event("rewind " + checkpoint.position() + " " + length);
    log.written = checkpoint.position();
  }

  @Override
  public void closed(Throwable cause) throws IOException {
    out.close();
  }

  /** What the sinks of one test were asked, in order. */
  static final class Log {
    private final List<String> events = new ArrayList<>();
    private final Path file;
    volatile Session session;
    volatile long written;
    volatile long syncedUpTo;

    Log(Path file) {
      this.file = file;
    }

    synchronized void event(String e) {
      events.add(e);
    }

    synchronized List<String> events() {
      return List.copyOf(events);
    }

    /** The positions each sync covered. */
    synchronized List<Long> syncs() {
      return events.stream().filter(e -> e.startsWith("sync "))
          .map(e -> Long.parseLong(e.substring(5))).toList();
    }

    /** The number each record in the file begins with, in file order. */
    List<Long> records() throws IOException {
      ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file));
      List<Long> numbers = new ArrayList<>();
      while (all.remaining() >= 4) {
        int length = all.getInt();
        numbers.add(all.getLong(all.position()));
        all.position(all.position() + length);
      }
      return numbers;
    }
  }
}
