package dev.lifeline.demo.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/** Files for transfer tests: random content, hashes, and watching a transfer's progress on disk. */
public final class TestFiles {
  private TestFiles() {}

  /** Writes {@code size} pseudo-random bytes from {@code seed}: incompressible, reproducible. */
  public static Path random(Path file, long size, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= chunk.length) {
        for (int i = 0; i < chunk.length; i += 8) {
          long v = random.nextLong();
          for (int j = 0; j < 8; j++) {
            chunk[i + j] = (byte) (v >>> (8 * j));
          }
        }
        out.write(chunk, 0, (int) Math.min(left, chunk.length));
      }
    }
    return file;
  }

  /** Lowercase hex SHA-256 of a file. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Total size of the regular files under {@code path} (or of the file itself); 0 if absent. */
  public static long size(Path path) {
    if (!Files.exists(path)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(path)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          return 0; // renamed or deleted while we looked
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  /**
   * Waits until a transfer stalls: {@code size} reached at least {@code atLeast} and then stayed
   * the same for {@code quiet}. Tests make a transfer stall on purpose (a black-hole cut, which
   * lasts an idle timeout), so they can kill a process at a known point instead of racing a fast
   * loopback transfer.
   *
   * @return the size at the stall
   * @throws AssertionError if {@code process} ends or {@code timeout} passes first
   */
  public static long awaitStall(LongSupplier size, long atLeast, Duration quiet, Duration timeout,
      Process process, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long last = -1;
    long since = System.nanoTime();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(what + ": process exited (" + process.exitValue()
            + ") before the transfer stalled at >= " + atLeast + " bytes; size " + size.getAsLong());
      }
      long now = size.getAsLong();
      if (now != last) {
        last = now;
        since = System.nanoTime();
      } else if (now >= atLeast && System.nanoTime() - since >= quiet.toNanos()) {
        return now;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(what + ": no stall at >= " + atLeast + " bytes within " + timeout
        + "; size " + last);
  }
}
