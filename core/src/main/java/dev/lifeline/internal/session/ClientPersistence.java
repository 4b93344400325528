package dev.lifeline.internal.session;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.SessionRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A client session's record, kept under the application's resume key so a re-run of the same job
 * finds it. The record's secret is the resume token itself (the client must present it); its
 * attributes hold the server's session id followed by the application's attributes:
 *
 * <pre>
 *  +----------------+------------------------+----------------+---------------------------+
 *  | u16 id length  | session id (ASCII)     | [u64 producer  | application attributes    |
 *  | (| 0x8000 if a |                        |  base]         |                           |
 *  |  base follows) |                        |                |                           |
 *  +----------------+------------------------+----------------+---------------------------+
 * </pre>
 *
 * The producer base (see {@link SessionOutbox}) is written only when it is not 0, so records of
 * sessions without it read as before.
 */
final class ClientPersistence implements SessionPersistence {
  static final int MAX_APP_ATTRIBUTES = 16 * 1024;
  // Session ids are at most 128 characters, so the length's top bit is free for this flag.
  private static final int BASE_FOLLOWS = 0x8000;

  private final CheckpointStore store;
  private final Clock clock;
  private final String key;
  // guarded by this
  private String sessionId;
  private byte[] token;
  private byte[] appAttributes = new byte[0];
  private Checkpoint checkpoint = Checkpoint.NONE;
  private long createdAt;
  private long producerBase;

  ClientPersistence(CheckpointStore store, Clock clock, String key) {
    this.store = store;
    this.clock = clock;
    this.key = key;
  }

  /** What a stored record says, if this key has one. */
  record Stored(String sessionId, byte[] token, Checkpoint checkpoint, long producerBase) {}

  /** The application's resume key the record is stored under. */
  String key() {
    return key;
  }

  synchronized Optional<Stored> adopt(Optional<SessionRecord> record) {
    if (record.isEmpty()) {
      return Optional.empty();
    }
    SessionRecord r = record.get();
    ByteBuffer attrs = ByteBuffer.wrap(r.attributes());
    if (attrs.remaining() < 2) {
      return Optional.empty();
    }
    int field = attrs.getShort() & 0xffff;
    boolean hasBase = (field & BASE_FOLLOWS) != 0;
    int n = field & ~BASE_FOLLOWS;
    if (n == 0 || attrs.remaining() < n + (hasBase ? Long.BYTES : 0)) {
      return Optional.empty();
    }
    byte[] id = new byte[n];
    attrs.get(id);
    sessionId = new String(id, StandardCharsets.US_ASCII);
    producerBase = hasBase ? attrs.getLong() : 0;
    appAttributes = Arrays.copyOfRange(r.attributes(), attrs.position(), r.attributes().length);
    token = r.secret();
    checkpoint = r.checkpoint();
    createdAt = r.createdAtMillis();
    return Optional.of(new Stored(sessionId, token, checkpoint, producerBase));
  }

  synchronized String sessionId() {
    return sessionId;
  }

  synchronized byte[] token() {
    return token.clone();
  }

  /**
   * Stores a newly opened session whose message {@code seq} is its outbox's message {@code
   * producerBase + seq}.
   */
  synchronized CompletableFuture<Void> created(String sessionId, byte[] token,
      long producerBase) {
    this.sessionId = sessionId;
    this.producerBase = producerBase;
    this.token = token.clone();
    this.createdAt = clock.millis();
    return store.put(record());
  }

  /** Stores the token issued by a resume; completes once durable. */
  synchronized CompletableFuture<Void> tokenReplaced(byte[] token) {
    this.token = token.clone();
    return store.put(record());
  }

  private SessionRecord record() {
    byte[] id = sessionId.getBytes(StandardCharsets.US_ASCII);
    boolean hasBase = producerBase != 0;
    ByteBuffer attrs = ByteBuffer.allocate(
        2 + id.length + (hasBase ? Long.BYTES : 0) + appAttributes.length);
    attrs.putShort((short) (id.length | (hasBase ? BASE_FOLLOWS : 0))).put(id);
    if (hasBase) {
      attrs.putLong(producerBase);
    }
    attrs.put(appAttributes);
    return SessionRecord.builder(key)
        .secret(token)
        .createdAtMillis(createdAt)
        .lastActiveMillis(clock.millis())
        .checkpoint(checkpoint)
        .attributes(attrs.array())
        .build();
  }

  @Override
  public synchronized CompletableFuture<Void> commit(Checkpoint cp) {
    if (cp.position() >= checkpoint.position()) {
      checkpoint = cp;
    }
    return store.commit(key, cp);
  }

  @Override
  public synchronized byte[] attributes() {
    return appAttributes.clone();
  }

  @Override
  public synchronized CompletableFuture<Void> setAttributes(byte[] attributes) {
    if (attributes.length > MAX_APP_ATTRIBUTES) {
      throw new IllegalArgumentException("attributes: " + attributes.length
          + " bytes (expected: <= " + MAX_APP_ATTRIBUTES + ")");
    }
    appAttributes = attributes.clone();
    if (sessionId == null) {
      return CompletableFuture.completedFuture(null);
    }
    return store.put(record());
  }

  @Override
  public void released(SessionCore session, boolean forget) {
    if (forget) {
      synchronized (this) {
        store.delete(key);
      }
    }
  }
}
