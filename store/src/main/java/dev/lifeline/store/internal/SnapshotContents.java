package dev.lifeline.store.internal;

import dev.lifeline.store.SessionRecord;
import java.util.Map;

/**
 * What a snapshot held: every live record as of journal sequence {@code lastSequence}. Kept apart
 * from the file formats so that recovery from a flat snapshot never loads MapDB's classes.
 */
public record SnapshotContents(long lastSequence, Map<String, SessionRecord> records) {}
