package dev.lifeline.docs;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.lifeline.DurableReceiver;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.FileCheckpointStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Quoted by docs/reliable-clients.md: the telemetry shipper's receiver, which appends every
 * record to a file exactly once, in order, through kill -9 and power loss of either side.
 */
final class DurableReceiverSample {
  private DurableReceiverSample() {}

  // tag::server[]
  /** Appends each session's records to DIR/records/ID.records; close the store after the server. */
  static LifelineServer shipperServer(Path dataDir, FileCheckpointStore sessions, int port)
      throws IOException {
    Path records = Files.createDirectories(dataDir.resolve("records"));
    DurableReceiver receiver = DurableReceiver.builder(
            session -> new RecordFile(records.resolve(session.id() + ".records")))
        .everyMessages(1_000)        // a checkpoint after 1,000 records,
        .everyBytes(1 << 20)         // or 1 MiB of them,
        .every(Duration.ofMillis(5)) // or 5 ms after the first record no checkpoint covers
        .build();
    return LifelineServer.builder()
        .port(port)
        .tls(ServerTlsConfig.builder().developmentCertificates(dataDir.resolve("tls")).build())
        .store(sessions)             // FileCheckpointStore.open(dataDir.resolve("sessions"))
        .autoAcknowledge(false)      // every session acknowledges only through checkpoints
        .handler(receiver)
        .start();
  }
  // end::server[]

  // tag::sink[]
  /** One session's records, appended to one file; its durable length is the checkpoint state. */
  static final class RecordFile implements DurableReceiver.Sink {
    private final FileChannel file;

    RecordFile(Path path) throws IOException {
      boolean created = !Files.exists(path);
      file = FileChannel.open(path, CREATE, WRITE);
      if (created) {
        forceDirectory(path.getParent()); // the file's name must survive a power loss too
      }
    }

    @Override
    public void write(long seq, ByteBuffer record) throws IOException {
      while (record.hasRemaining()) {
        file.write(record); // at the end: rewind() put the position there
      }
    }

    @Override
    public byte[] sync() throws IOException {
      file.force(false); // fdatasync: the data, and the length needed to read it back
      return ByteBuffer.allocate(Long.BYTES).putLong(file.position()).array();
    }

    @Override
    public void rewind(Checkpoint checkpoint) throws IOException {
      long length = checkpoint.stateLength() == 0 ? 0 : ByteBuffer.wrap(checkpoint.state()).getLong();
      if (file.size() < length) { // sync() forced these bytes: the storage lost them anyway
        throw new IOException("records file is " + file.size() + " bytes, its checkpoint says "
            + length + ": data forced to disk is gone");
      }
      file.truncate(length); // what no checkpoint covers: the sender sends it again
      file.position(length);
    }

    @Override
    public void closed(Throwable cause) throws IOException {
      file.close();
    }

    private static void forceDirectory(Path dir) throws IOException {
      try (FileChannel d = FileChannel.open(dir, READ)) { // works on Linux and macOS
        d.force(true);
      }
    }
  }
  // end::sink[]
}
