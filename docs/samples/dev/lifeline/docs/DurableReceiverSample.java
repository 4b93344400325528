package dev.lifeline.docs;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.lifeline.DurableReceiver;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.FileCheckpointStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
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
  /** Appends the records to files under DIR/records/; close the store after the server. */
  static LifelineServer shipperServer(Path dataDir, FileCheckpointStore sessions, int port)
      throws IOException {
    Path records = Files.createDirectories(dataDir.resolve("records"));
    DurableReceiver receiver = DurableReceiver.builder(session -> new RecordFile(records, session))
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
  /**
   * A producer's records, appended to one file. The checkpoint state names the file and its
   * durable length: a session that continues an earlier one's producer ({@code openNew} after a
   * refused resume) starts from that earlier checkpoint, and so continues its file.
   */
  static final class RecordFile implements DurableReceiver.Sink {
    private final String name;
    private final FileChannel file;

    RecordFile(Path dir, Session session) throws IOException {
      Checkpoint start = session.lastCheckpoint(); // NONE for a session of a new producer
      name = start.stateLength() > 0 ? fileOf(start) : session.id() + ".records";
      Path path = dir.resolve(name);
      boolean created = !Files.exists(path);
      file = FileChannel.open(path, CREATE, WRITE);
      if (created) {
        forceDirectory(dir); // the file's name must survive a power loss too
      }
      rewind(start);
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
      byte[] fileName = name.getBytes(StandardCharsets.UTF_8);
      return ByteBuffer.allocate(Long.BYTES + fileName.length)
          .putLong(file.position()).put(fileName).array();
    }

    @Override
    public void rewind(Checkpoint checkpoint) throws IOException {
      long length = checkpoint.stateLength() == 0 ? 0
          : ByteBuffer.wrap(checkpoint.state()).getLong(); // the state's first 8 bytes
      if (file.size() < length) { // sync() forced these bytes: the storage lost them anyway
        throw new IOException(name + " is " + file.size() + " bytes, its checkpoint says "
            + length + ": data forced to disk is gone");
      }
      file.truncate(length); // what no checkpoint covers: the sender sends it again
      file.position(length);
    }

    @Override
    public void closed(Throwable cause) throws IOException {
      file.close();
    }

    private static String fileOf(Checkpoint checkpoint) {
      byte[] state = checkpoint.state();
      return new String(state, Long.BYTES, state.length - Long.BYTES, StandardCharsets.UTF_8);
    }

    private static void forceDirectory(Path dir) throws IOException {
      try (FileChannel d = FileChannel.open(dir, READ)) { // works on Linux and macOS
        d.force(true);
      }
    }
  }
  // end::sink[]
}
