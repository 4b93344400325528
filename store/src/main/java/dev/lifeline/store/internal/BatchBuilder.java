package dev.lifeline.store.internal;

import dev.lifeline.store.ExpiryListener;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.UnknownSessionException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One group-commit batch being assembled on the writer thread: each op is checked against the
 * durable records plus the changes of earlier ops in the same batch, encoded into the journal
 * buffer, and its outcome held back until the batch's sync returned.
 */
final class BatchBuilder {
  private static final Logger log = LoggerFactory.getLogger(BatchBuilder.class);

  private final Map<String, SessionRecord> live;
  private final JournalWriter journal;
  private final long nowMillis;
  private final long ttlMillis;
  /** Changes of this batch; a null value is a removal. */
  private final Map<String, SessionRecord> changed = new HashMap<>();
  /** Ops the batch's sync decides. */
  private final List<Op> durable = new ArrayList<>();
  /** Ops decided without the journal (refused, or nothing to change), completed either way. */
  private final List<Runnable> decided = new ArrayList<>();
  private final List<List<SessionRecord>> swept = new ArrayList<>();
  private long nextSequence;
  private int recordCount;

  BatchBuilder(Map<String, SessionRecord> live, JournalWriter journal, long nextSequence,
      long nowMillis, long ttlMillis) {
    this.live = live;
    this.journal = journal;
    this.nextSequence = nextSequence;
    this.nowMillis = nowMillis;
    this.ttlMillis = ttlMillis;
    journal.beginBatch();
  }

  void add(Op op) {
    if (op instanceof Op.Put p) {
      addPut(p);
    } else if (op instanceof Op.Commit c) {
      addCommit(c);
    } else if (op instanceof Op.Delete d) {
      addDelete(d);
    } else if (op instanceof Op.Sweep s) {
      addSweep(s);
    } else {
      throw new IllegalArgumentException("op: " + op + " (expected: a change)");
    }
  }

  private void addPut(Op.Put p) {
    SessionRecord r = p.record();
    journal.add(nextSequence++, JournalDescriptor.TYPE_PUT, RecordCodec.putLength(r),
        out -> RecordCodec.writePut(out, r));
    recordCount++;
    changed.put(r.id(), r);
    durable.add(p);
  }

  private void addCommit(Op.Commit c) {
    SessionRecord next;
    try {
      SessionRecord.validateId(c.id());
      next = StoreRules.commit(current(c.id()), c.id(), c.checkpoint(), nowMillis);
    } catch (IllegalArgumentException | UnknownSessionException e) {
      decided.add(() -> c.future().completeExceptionally(e));
      return;
    }
    journal.add(nextSequence++, JournalDescriptor.TYPE_COMMIT,
        RecordCodec.commitLength(c.id(), c.checkpoint()),
        out -> RecordCodec.writeCommit(out, c.id(), nowMillis, c.checkpoint()));
    recordCount++;
    changed.put(c.id(), next);
    durable.add(c);
  }

  private void addDelete(Op.Delete d) {
    try {
      SessionRecord.validateId(d.id());
    } catch (IllegalArgumentException e) {
      decided.add(() -> d.future().completeExceptionally(e));
      return;
    }
    if (view(d.id()) == null) {
      decided.add(() -> d.future().complete(null));
      return;
    }
    remove(d.id());
    durable.add(d);
  }

  private void addSweep(Op.Sweep s) {
    Set<String> ids = new HashSet<>(live.keySet());
    ids.addAll(changed.keySet());
    List<SessionRecord> expired = new ArrayList<>();
    for (String id : ids) {
      SessionRecord r = view(id);
      if (r != null && StoreRules.isExpired(r, ttlMillis, nowMillis)) {
        expired.add(r);
        remove(id);
      }
    }
    swept.add(expired);
    durable.add(s);
  }

  private void remove(String id) {
    journal.add(nextSequence++, JournalDescriptor.TYPE_DELETE, RecordCodec.deleteLength(id),
        out -> RecordCodec.writeDelete(out, id));
    recordCount++;
    changed.put(id, null);
  }

  /** The record as this batch sees it, including expired ones. */
  private SessionRecord view(String id) {
    return changed.containsKey(id) ? changed.get(id) : live.get(id);
  }

  /** The record if it is live (not expired) as this batch sees it. */
  private SessionRecord current(String id) {
    SessionRecord r = view(id);
    return r == null || StoreRules.isExpired(r, ttlMillis, nowMillis) ? null : r;
  }

  int recordCount() {
    return recordCount;
  }

  int bytes() {
    return journal.batchBytes();
  }

  long nextSequence() {
    return nextSequence;
  }

  /** Applies the batch's changes to the durable records; call only after the sync returned. */
  void publish(Map<String, SessionRecord> target) {
    for (Map.Entry<String, SessionRecord> e : changed.entrySet()) {
      if (e.getValue() == null) {
        target.remove(e.getKey());
      } else {
        target.put(e.getKey(), e.getValue());
      }
    }
  }

  /** What to run, in order, once the batch is durable and published. */
  List<Runnable> completions(ExpiryListener listener) {
    List<Runnable> all = new ArrayList<>(decided);
    int sweepIndex = 0;
    for (Op op : durable) {
      if (op instanceof Op.Sweep s) {
        List<SessionRecord> expired = swept.get(sweepIndex++);
        all.add(() -> completeSweep(s.future(), expired, listener));
      } else if (op instanceof Op.Put p) {
        all.add(() -> p.future().complete(null));
      } else if (op instanceof Op.Commit c) {
        all.add(() -> c.future().complete(null));
      } else if (op instanceof Op.Delete d) {
        all.add(() -> d.future().complete(null));
      }
    }
    return all;
  }

  /** Fails every op the sync was to decide; the others keep their outcome. */
  void failAll(Throwable error) {
    decided.forEach(Runnable::run);
    for (Op op : durable) {
      FileStoreEngine.fail(op, error);
    }
  }

  private static void completeSweep(CompletableFuture<List<String>> future,
      List<SessionRecord> expired, ExpiryListener listener) {
    List<String> ids = new ArrayList<>(expired.size());
    expired.forEach(r -> ids.add(r.id()));
    future.complete(ids);
    for (SessionRecord r : expired) {
      try {
        listener.expired(r);
      } catch (RuntimeException e) {
        log.warn("expiry listener failed for session {}", r.id(), e);
      }
    }
  }
}
