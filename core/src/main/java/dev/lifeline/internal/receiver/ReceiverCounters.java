package dev.lifeline.internal.receiver;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one {@code DurableReceiver} did, over all its sessions. Sessions run on different
 * callback threads at once, so each counter is a {@link LongAdder}: cheap to add to from many
 * threads, read only when someone asks.
 */
public final class ReceiverCounters {
  final LongAdder messages = new LongAdder();
  final LongAdder bytes = new LongAdder();
  final LongAdder byMessages = new LongAdder();
  final LongAdder byBytes = new LongAdder();
  final LongAdder byTime = new LongAdder();
  final LongAdder durable = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder syncNanos = new LongAdder();

  /** Messages written to sinks. */
  public long messages() {
    return messages.sum();
  }

  /** Bytes of messages written to sinks. */
  public long bytes() {
    return bytes.sum();
  }

  /** Checkpoints asked for because the message count was reached. */
  public long byMessages() {
    return byMessages.sum();
  }

  /** Checkpoints asked for because the byte count was reached. */
  public long byBytes() {
    return byBytes.sum();
  }

  /** Checkpoints asked for because the time bound passed. */
  public long byTime() {
    return byTime.sum();
  }

  /** Checkpoints the store made durable. */
  public long durable() {
    return durable.sum();
  }

  /** Checkpoints the store could not take. */
  public long failed() {
    return failed.sum();
  }

  /** Time spent in the sinks' {@code sync()}, in nanoseconds. */
  public long syncNanos() {
    return syncNanos.sum();
  }
}
