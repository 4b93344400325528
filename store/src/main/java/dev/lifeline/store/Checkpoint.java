package dev.lifeline.store;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A durable point in one direction of a session's message stream: the receiving application has
 * durably processed every message up to and including {@link #position()}, and {@link #state()} is
 * the small opaque application state that goes with it (for a file transfer, "bytes durable up to
 * offset N").
 *
 * <p>Checkpoints of one session only move forward: a store refuses a commit whose position is
 * lower than the one it already holds.
 *
 * <pre>{@code
 * Checkpoint cp = Checkpoint.of(4_096, ByteBuffer.allocate(8).putLong(offset).array());
 * store.commit(sessionId, cp).join(); // durable from here on
 * }</pre>
 */
public final class Checkpoint {

  /** The largest application state a checkpoint may carry. */
  public static final int MAX_STATE_BYTES = 64 * 1024;

  /** No message processed yet. */
  public static final Checkpoint NONE = new Checkpoint(0, new byte[0]);

  private final long position;
  private final byte[] state;

  private Checkpoint(long position, byte[] state) {
    this.position = position;
    this.state = state;
  }

  /**
   * Creates a checkpoint; the state array is copied.
   *
   * @throws IllegalArgumentException if {@code position < 0} or the state exceeds {@link
   *     #MAX_STATE_BYTES}
   */
  public static Checkpoint of(long position, byte[] state) {
    if (position < 0) {
      throw new IllegalArgumentException("position: " + position + " (expected: >= 0)");
    }
    if (state.length > MAX_STATE_BYTES) {
      throw new IllegalArgumentException(
          "state: " + state.length + " bytes (expected: <= " + MAX_STATE_BYTES + ")");
    }
    return new Checkpoint(position, state.clone());
  }

  /** The sequence number of the last message durably processed; 0 when none was. */
  public long position() {
    return position;
  }

  /** A copy of the application state. */
  public byte[] state() {
    return state.clone();
  }

  /** The length of the application state in bytes. */
  public int stateLength() {
    return state.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint other
        && position == other.position
        && Arrays.equals(state, other.state);
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(position) + Arrays.hashCode(state);
  }

  @Override
  public String toString() {
    String hex = HexFormat.of().formatHex(state, 0, Math.min(state.length, 16));
    return "Checkpoint{position=" + position + ", state=" + state.length + "B " + hex
        + (state.length > 16 ? "…" : "") + "}";
  }
}
