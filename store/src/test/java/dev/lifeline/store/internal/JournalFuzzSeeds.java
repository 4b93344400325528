package dev.lifeline.store.internal;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.SessionRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the seed corpus of {@link JournalFuzzTest}: recipes of real PUT, COMMIT and DELETE
 * payloads (encoded by {@link RecordCodec}) in each variant. Run once by hand; the files are
 * committed.
 *
 * <pre>java -cp store/target/test-classes:store/target/classes:$(deps) \
 *   dev.lifeline.store.internal.JournalFuzzSeeds store/src/test/resources</pre>
 */
public final class JournalFuzzSeeds {
  private JournalFuzzSeeds() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0], "dev/lifeline/store/internal/JournalFuzzTestInputs/open");
    Files.createDirectories(dir);
    SessionRecord a = SessionRecord.builder("session-a").secret(new byte[96]).identity("alice")
        .createdAtMillis(1_000).lastActiveMillis(2_000)
        .checkpoint(Checkpoint.of(7, "offset=7".getBytes(StandardCharsets.UTF_8)))
        .attributes(new byte[] {1, 2, 3}).build();
    SessionRecord b = SessionRecord.builder("session-b").secret(new byte[96]).identity("")
        .createdAtMillis(3_000).lastActiveMillis(3_000).build();
    byte[] recipe = recipe(
        put(a), put(b), commit("session-a", 4_000, Checkpoint.of(9, new byte[] {9})),
        delete("session-b"), commit("session-a", 5_000, Checkpoint.of(12, new byte[0])));
    int f = JournalFuzzTest.FIX_CHECKSUMS;
    Files.write(dir.resolve("valid"), seed(f, recipe));
    Files.write(dir.resolve("valid-sealed"), seed(f | JournalFuzzTest.SEALED, recipe));
    Files.write(dir.resolve("torn-tail"), seed(f | JournalFuzzTest.TEAR_TAIL | (3 << 5), recipe));
    Files.write(dir.resolve("bit-flip"), seed(f | JournalFuzzTest.FLIP_BIT, recipe));
    Files.write(dir.resolve("bit-flip-sealed"),
        seed(f | JournalFuzzTest.FLIP_BIT | JournalFuzzTest.SEALED, recipe));
    Files.write(dir.resolve("commit-unknown-session"),
        seed(f, recipe(commit("nobody", 1, Checkpoint.of(1, new byte[0])))));
    Files.write(dir.resolve("sequence-gap"), seed(f | JournalFuzzTest.KEEP_SEQUENCES,
        concat(recipe(put(a)), new byte[] {(byte) 0x81, 5, 0, 1, 0})));
    byte[] raw = concat(JournalFuzzTest.header(1), JournalFuzzTest.records(
        ByteBuffer.wrap(recipe), false).bytes());
    Files.write(dir.resolve("raw-valid"), seed(JournalFuzzTest.RAW, raw));
    Files.write(dir.resolve("raw-header-only"), seed(JournalFuzzTest.RAW,
        JournalFuzzTest.header(1)));
  }

  static byte[] put(SessionRecord r) {
    ByteBuffer b = ByteBuffer.allocate(RecordCodec.putLength(r));
    RecordCodec.writePut(b, r);
    return entry(JournalDescriptor.TYPE_PUT, b.array());
  }

  static byte[] commit(String id, long lastActive, Checkpoint cp) {
    ByteBuffer b = ByteBuffer.allocate(RecordCodec.commitLength(id, cp));
    RecordCodec.writeCommit(b, id, lastActive, cp);
    return entry(JournalDescriptor.TYPE_COMMIT, b.array());
  }

  static byte[] delete(String id) {
    ByteBuffer b = ByteBuffer.allocate(RecordCodec.deleteLength(id));
    RecordCodec.writeDelete(b, id);
    return entry(JournalDescriptor.TYPE_DELETE, b.array());
  }

  /** One recipe entry: control byte (type), u16 length, payload. */
  static byte[] entry(byte type, byte[] payload) {
    return ByteBuffer.allocate(3 + payload.length).put(type).putShort((short) payload.length)
        .put(payload).array();
  }

  static byte[] recipe(byte[]... entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] e : entries) {
      out.writeBytes(e);
    }
    return out.toByteArray();
  }

  static byte[] seed(int mode, byte[] body) {
    return concat(new byte[] {(byte) mode}, body);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = new byte[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
