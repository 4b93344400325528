package dev.lifeline.internal.session;

import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.SessionRecord;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What the server remembers of a client's durable outbox across sessions, so that a new session
 * (after a refused resume, or a client record that expired) does not store twice what an earlier
 * one stored: Kafka's idempotent producer is the model. The client's OPEN names its producer and
 * the base of the new session's numbering; the server keeps, under a record of its own, the
 * highest producer message a checkpoint made durable, with that checkpoint's state, and starts
 * the new session after it: messages up to it arrive again, are dropped as duplicates and
 * acknowledged.
 *
 * <p>The record is written after each checkpoint of a producer's session has landed, so it is a
 * lower bound: only a crash between the two writes, followed by a refused resume, can let a
 * message through twice. It is kept {@link #RETENTION} past its last write, longer than a
 * session's time to live, because the case it exists for is a session that expired.
 */
final class Producers {
  /** Producer records share the store with sessions; session ids never start with '~'. */
  static final String PREFIX = "~producer-";
  /** How long a producer's progress is kept after its last checkpoint. */
  static final Duration RETENTION = Duration.ofDays(7);

  private Producers() {}

  /** Where the server keeps the progress of the outbox {@code producerId}. */
  static String key(byte[] producerId) {
    return PREFIX + HexFormat.of().formatHex(producerId);
  }

  /**
   * A new session of producer {@code key}: its message {@code seq} is the producer's {@code base
   * + seq}, and it starts after {@code checkpoint} (its own numbering: what earlier sessions
   * stored beyond the base).
   */
  record Resume(String key, long base, Checkpoint checkpoint) {}

  /**
   * The start of a new session of the producer whose record is {@code found}: after what it
   * stored beyond {@code base}. A record of another identity is ignored (a client cannot learn
   * or move another's progress); a base beyond the record starts at 0.
   */
  static Resume resume(String key, long base, String identity,
      Optional<SessionRecord> found) {
    Checkpoint start = Checkpoint.NONE;
    if (found.isPresent() && found.get().identity().equals(identity)) {
      Checkpoint stored = found.get().checkpoint();
      if (stored.position() > base) {
        start = Checkpoint.of(stored.position() - base, stored.state());
      }
    }
    return new Resume(key, base, start);
  }

  /** The record of a producer whose durable progress is {@code checkpoint} (its numbering). */
  static SessionRecord record(String key, String identity, byte[] secret, Checkpoint checkpoint,
      long nowMillis) {
    return SessionRecord.builder(key)
        .identity(identity)
        .secret(secret)
        .checkpoint(checkpoint)
        .createdAtMillis(nowMillis)
        // Expiry counts from lastActive: a later one keeps the record past the sessions.
        .lastActiveMillis(nowMillis + RETENTION.toMillis())
        .build();
  }

  /** {@code ids} without producer records. */
  static List<String> withoutProducers(List<String> ids) {
    return ids.stream().filter(id -> !id.startsWith(PREFIX)).toList();
  }
}
