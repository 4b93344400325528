package dev.lifeline.transfer;

/**
 * Progress of one transfer, for a progress bar. Called from the transfer's threads; keep it quick.
 */
public interface TransferListener {

  /** The transfer is under way: {@code total} bytes, continuing from {@code offset}. */
  default void started(String name, long total, long offset) {}

  /** {@code done} bytes of the file are now durable at the receiver or sent. */
  default void progress(long done) {}

  /** The connection was lost and resumed; {@code reconnects} so far. */
  default void reconnected(long reconnects) {}

  /** The transfer started over from the beginning, for the reason given. */
  default void restarted(String reason) {}

  TransferListener NONE = new TransferListener() {};
}
