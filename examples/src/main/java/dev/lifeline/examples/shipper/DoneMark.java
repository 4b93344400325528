package dev.lifeline.examples.shipper;

import dev.lifeline.examples.shipper.ShipperClient.ShipperException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;

/**
 * The one thing the shipper keeps itself: that its job is finished. The library ends a session on
 * both sides when the job is done, so a state directory with no session means either "never
 * started" or "finished"; this file, written once every record is acknowledged and before the
 * session ends, tells them apart, and a finished job run again exits 0 instead of shipping every
 * record a second time. Written to a temporary file, fsync'd and renamed, so it is whole or absent.
 */
final class DoneMark {
  static final String FILE_NAME = "shipper.done";

  private final Path file;

  DoneMark(Path stateDir) {
    this.file = stateDir.resolve(FILE_NAME);
  }

  /** The record count of the finished job, or empty if the job is not finished. */
  OptionalLong read() throws ShipperException {
    if (!Files.exists(file)) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII)
          .strip()));
    } catch (IOException | NumberFormatException e) {
      throw new ShipperException(ShipperExitCodes.LOCAL_SETUP, "--state: cannot read " + file
          + " (" + e + "); it says whether this job finished", e);
    }
  }

  /** Marks the job of {@code records} records finished, durably. */
  void write(long records) throws ShipperException {
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap((records + "\n").getBytes(StandardCharsets.US_ASCII)));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      // The rename is durable once the directory is.
      try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
        dir.force(true);
      }
    } catch (IOException e) {
      throw new ShipperException(ShipperExitCodes.STATE_WRITE_FAILED, "every record is stored "
          + "on the server, but " + file + " could not be written (" + e + "); the session is "
          + "kept, re-run the same command to finish", e);
    }
  }
}
