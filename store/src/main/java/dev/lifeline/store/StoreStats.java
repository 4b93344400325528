package dev.lifeline.store;

/**
 * Counters of a {@link FileCheckpointStore} since it was opened: how many journal records were
 * made durable by how many syncs (their ratio shows group commit at work), snapshots written and
 * failed journal writes.
 *
 * <pre>{@code
 * StoreStats s = store.stats();
 * log.info("{} records in {} syncs", s.records(), s.syncs());
 * }</pre>
 */
public final class StoreStats {
  private final long syncs;
  private final long records;
  private final long snapshots;
  private final long failedWrites;

  public StoreStats(long syncs, long records, long snapshots, long failedWrites) {
    this.syncs = syncs;
    this.records = records;
    this.snapshots = snapshots;
    this.failedWrites = failedWrites;
  }

  /** Successful journal syncs (one per batch). */
  public long syncs() {
    return syncs;
  }

  /** Journal records made durable. */
  public long records() {
    return records;
  }

  /** Snapshots written and made durable. */
  public long snapshots() {
    return snapshots;
  }

  /** Batches whose write or sync failed (their futures failed). */
  public long failedWrites() {
    return failedWrites;
  }

  /** Average records per sync; 0 before the first sync. */
  public double recordsPerSync() {
    return syncs == 0 ? 0 : (double) records / syncs;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoreStats s && syncs == s.syncs && records == s.records
        && snapshots == s.snapshots && failedWrites == s.failedWrites;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(syncs) * 31 + Long.hashCode(records) * 17 + Long.hashCode(snapshots)
        + Long.hashCode(failedWrites);
  }

  @Override
  public String toString() {
    return "StoreStats{syncs=" + syncs + ", records=" + records + ", snapshots=" + snapshots
        + ", failedWrites=" + failedWrites + "}";
  }
}
