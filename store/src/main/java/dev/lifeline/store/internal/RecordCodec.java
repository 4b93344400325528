package dev.lifeline.store.internal;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.SessionRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Encodes and decodes the payloads laid out in {@link JournalDescriptor}. */
public final class RecordCodec {

  private RecordCodec() {}

  /** A decoded COMMIT payload. */
  public record CommitPayload(String id, long lastActiveMillis, Checkpoint checkpoint) {}

  public static int putLength(SessionRecord r) {
    return idLength(r.id()) + 2 + r.secret().length + 2 + utf8(r.identity()).length + 8 + 8 + 8
        + 4 + r.checkpoint().stateLength() + 4 + r.attributes().length;
  }

  public static void writePut(ByteBuffer out, SessionRecord r) {
    writeId(out, r.id());
    byte[] secret = r.secret();
    out.putShort((short) secret.length).put(secret);
    byte[] identity = utf8(r.identity());
    out.putShort((short) identity.length).put(identity);
    out.putLong(r.createdAtMillis()).putLong(r.lastActiveMillis());
    writeCheckpoint(out, r.checkpoint());
    byte[] attributes = r.attributes();
    out.putInt(attributes.length).put(attributes);
  }

  /**
   * @throws RuntimeException (buffer underflow, illegal argument) if the bytes are not a record
   */
  public static SessionRecord readPut(ByteBuffer in) {
    String id = readId(in);
    byte[] secret = bytes(in, Short.toUnsignedInt(in.getShort()));
    String identity = new String(bytes(in, Short.toUnsignedInt(in.getShort())),
        StandardCharsets.UTF_8);
    long createdAt = in.getLong();
    long lastActive = in.getLong();
    Checkpoint checkpoint = readCheckpoint(in);
    byte[] attributes = bytes(in, in.getInt());
    expectEnd(in);
    return SessionRecord.builder(id).secret(secret).identity(identity).createdAtMillis(createdAt)
        .lastActiveMillis(lastActive).checkpoint(checkpoint).attributes(attributes).build();
  }

  public static int commitLength(String id, Checkpoint cp) {
    return idLength(id) + 8 + 8 + 4 + cp.stateLength();
  }

  public static void writeCommit(ByteBuffer out, String id, long lastActiveMillis, Checkpoint cp) {
    writeId(out, id);
    out.putLong(lastActiveMillis);
    writeCheckpoint(out, cp);
  }

  public static CommitPayload readCommit(ByteBuffer in) {
    String id = readId(in);
    long lastActive = in.getLong();
    Checkpoint cp = readCheckpoint(in);
    expectEnd(in);
    return new CommitPayload(id, lastActive, cp);
  }

  public static int deleteLength(String id) {
    return idLength(id);
  }

  public static void writeDelete(ByteBuffer out, String id) {
    writeId(out, id);
  }

  public static String readDelete(ByteBuffer in) {
    String id = readId(in);
    expectEnd(in);
    return id;
  }

  private static int idLength(String id) {
    return 1 + id.length();
  }

  private static void writeId(ByteBuffer out, String id) {
    out.put((byte) id.length()).put(id.getBytes(StandardCharsets.US_ASCII));
  }

  private static String readId(ByteBuffer in) {
    String id = new String(bytes(in, Byte.toUnsignedInt(in.get())), StandardCharsets.US_ASCII);
    SessionRecord.validateId(id);
    return id;
  }

  private static void writeCheckpoint(ByteBuffer out, Checkpoint cp) {
    out.putLong(cp.position());
    out.putInt(cp.stateLength()).put(cp.state());
  }

  private static Checkpoint readCheckpoint(ByteBuffer in) {
    long position = in.getLong();
    return Checkpoint.of(position, bytes(in, in.getInt()));
  }

  private static byte[] bytes(ByteBuffer in, int length) {
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException(
          "field length: " + length + " (expected: 0.." + in.remaining() + ")");
    }
    byte[] b = new byte[length];
    in.get(b);
    return b;
  }

  private static void expectEnd(ByteBuffer in) {
    if (in.hasRemaining()) {
      throw new IllegalArgumentException(in.remaining() + " trailing bytes (expected: 0)");
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
