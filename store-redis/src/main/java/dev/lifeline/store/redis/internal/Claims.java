package dev.lifeline.store.redis.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fencing epochs this node holds, per session id, and the sessions it lost to another node
 * (which must refuse every further write until this node claims them again). Bounded: the oldest
 * entries go first, and an entry it forgot only makes a later write unfenced for a session this
 * node has not touched in a long time.
 */
public final class Claims {
  /** Marks a session another node took. */
  public static final long LOST = -1;
  private static final int MAX = 200_000;

  // guarded by itself
  private final Map<String, Long> epochs = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > MAX;
    }
  };

  /** The epoch held, {@link #LOST}, or null when this node never claimed the session. */
  public Long get(String id) {
    synchronized (epochs) {
      return epochs.get(id);
    }
  }

  public void held(String id, long epoch) {
    synchronized (epochs) {
      epochs.put(id, epoch);
    }
  }

  public void lost(String id) {
    synchronized (epochs) {
      epochs.put(id, LOST);
    }
  }

  public void forget(String id) {
    synchronized (epochs) {
      epochs.remove(id);
    }
  }
}
