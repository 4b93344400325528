package dev.lifeline.testing;

import java.util.Locale;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A fault-injection plan: cut a connection after a random number of bytes, in a given way, a given
 * number of times. It is the value of the client's {@code --chaos} option and of the test proxy's
 * plan, so a resume can be exercised with the same words on the command line and in a test.
 *
 * <h2>Grammar</h2>
 *
 * <pre>
 * spec  = "cut=" range [",mode=" mode] [",count=" N]     (options in any order, each at most once)
 * range = size [".." size]                              (MIN..MAX, both inclusive; one size means MIN = MAX)
 * size  = digits [unit]                                 (unit: K M G T or KiB MiB GiB TiB, binary; B = bytes)
 * mode  = rst | fin | blackhole | mix                   (default rst)
 * N     = digits, at least 1                            (default: unlimited)
 * </pre>
 *
 * <p>Bytes are counted over both directions of one connection, below TLS, so a cut usually lands
 * in the middle of a TLS record: that is what a real network does. {@code MIN} may be 0 (cut as
 * soon as the connection is up); {@code MAX} must be at least 1. Keys and modes are
 * case-insensitive.
 *
 * <p>The spec only describes the plan; drawing is done with randomness supplied by the caller
 * ({@link #nextCut(RandomGenerator)}), so a test with a seeded generator sees the same cuts every
 * run.
 *
 * <pre>{@code
 * ChaosSpec spec = ChaosSpec.parse("cut=8M..64M,mode=mix,count=3");
 * RandomGenerator random = new SplittableRandom(42);
 * ChaosSpec.Cut cut = spec.nextCut(random); // e.g. Cut[afterBytes=23068672, mode=FIN]
 * }</pre>
 *
 * <p>Instances are immutable; {@link #toString()} returns the canonical spec, which parses back
 * to an equal instance.
 */
public final class ChaosSpec {

  /** How a connection is cut. */
  public enum Mode {
    /** Abortive close (TCP RST): the peer's next read or write fails with "connection reset". */
    RST,
    /** Orderly close (TCP FIN): the peer reads end of stream, as if the other side hung up. */
    FIN,
    /**
     * Silence: the connection stays open but nothing passes in either direction any more. The
     * peer sees no error at all; only a heartbeat or idle timeout can detect it.
     */
    BLACKHOLE,
    /** Each cut picks {@link #RST}, {@link #FIN} or {@link #BLACKHOLE} at random. */
    MIX;

    /** The spelling used in a spec, e.g. {@code "blackhole"}. */
    String specName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One drawn cut: after how many bytes (both directions together) and how. {@link #mode()} is
   * never {@link Mode#MIX}.
   */
  public record Cut(long afterBytes, Mode mode) {
    /** Validates the cut; {@code afterBytes >= 0} and a concrete mode. */
    public Cut {
      if (afterBytes < 0) {
        throw new IllegalArgumentException("afterBytes: " + afterBytes + " (expected: >= 0)");
      }
      Objects.requireNonNull(mode, "mode");
      if (mode == Mode.MIX) {
        throw new IllegalArgumentException("mode: MIX (expected: RST, FIN or BLACKHOLE)");
      }
    }
  }

  /** {@link #count()} of a spec without {@code count=N}: cuts never run out. */
  public static final long UNLIMITED = Long.MAX_VALUE;

  /** The form every parse error message ends with. */
  static final String EXPECTED = "cut=MIN..MAX[,mode=rst|fin|blackhole|mix][,count=N]";

  private static final Mode[] CONCRETE_MODES = {Mode.RST, Mode.FIN, Mode.BLACKHOLE};

  private final long minBytes;
  private final long maxBytes;
  private final Mode mode;
  private final long count;

  private ChaosSpec(long minBytes, long maxBytes, Mode mode, long count) {
    this.minBytes = minBytes;
    this.maxBytes = maxBytes;
    this.mode = mode;
    this.count = count;
  }

  /**
   * Parses a spec such as {@code "cut=8M..1G,mode=mix,count=5"}.
   *
   * @throws IllegalArgumentException naming the spec, what is wrong with it and the expected form
   */
  public static ChaosSpec parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    return new ChaosSpecParser(spec).parse();
  }

  /**
   * Creates a spec from values; {@code count} is {@link #UNLIMITED} for no limit.
   *
   * @throws IllegalArgumentException if {@code minBytes < 0}, {@code maxBytes < 1}, {@code
   *     minBytes > maxBytes} or {@code count < 1}
   */
  public static ChaosSpec of(long minBytes, long maxBytes, Mode mode, long count) {
    if (minBytes < 0) {
      throw new IllegalArgumentException("minBytes: " + minBytes + " (expected: >= 0)");
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: >= 1)");
    }
    if (minBytes > maxBytes) {
      throw new IllegalArgumentException(
          "minBytes: " + minBytes + " (expected: <= maxBytes " + maxBytes + ")");
    }
    if (count < 1) {
      throw new IllegalArgumentException("count: " + count + " (expected: >= 1)");
    }
    return new ChaosSpec(minBytes, maxBytes, Objects.requireNonNull(mode, "mode"), count);
  }

  /** The smallest number of bytes after which a connection is cut (inclusive). */
  public long minBytes() {
    return minBytes;
  }

  /** The largest number of bytes after which a connection is cut (inclusive). */
  public long maxBytes() {
    return maxBytes;
  }

  /** How connections are cut; {@link Mode#MIX} draws a concrete mode per cut. */
  public Mode mode() {
    return mode;
  }

  /** How many cuts to make in total; {@link #UNLIMITED} when the spec has no {@code count=N}. */
  public long count() {
    return count;
  }

  /** Whether cuts never run out. */
  public boolean isUnlimited() {
    return count == UNLIMITED;
  }

  /**
   * Draws the next cut: first a byte count uniformly in [{@link #minBytes()}, {@link
   * #maxBytes()}], then, for {@link Mode#MIX}, a mode uniformly among RST, FIN and BLACKHOLE. The
   * order of draws is fixed so a seeded generator gives the same sequence of cuts on every run.
   *
   * <p>The spec does not track {@link #count()}; whoever injects the faults does.
   */
  public Cut nextCut(RandomGenerator random) {
    Objects.requireNonNull(random, "random");
    final long span = maxBytes - minBytes; // never overflows: 0 <= min <= max
    final long offset = span == Long.MAX_VALUE ? random.nextLong() >>> 1 : random.nextLong(span + 1);
    final Mode drawn = mode == Mode.MIX ? CONCRETE_MODES[random.nextInt(CONCRETE_MODES.length)] : mode;
    return new Cut(minBytes + offset, drawn);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChaosSpec other
        && minBytes == other.minBytes
        && maxBytes == other.maxBytes
        && mode == other.mode
        && count == other.count;
  }

  @Override
  public int hashCode() {
    return Objects.hash(minBytes, maxBytes, mode, count);
  }

  /** The canonical spec, e.g. {@code "cut=8M..1G,mode=mix,count=5"}; it parses back to this. */
  @Override
  public String toString() {
    final StringBuilder b = new StringBuilder("cut=").append(formatSize(minBytes));
    if (maxBytes != minBytes) {
      b.append("..").append(formatSize(maxBytes));
    }
    b.append(",mode=").append(mode.specName());
    if (count != UNLIMITED) {
      b.append(",count=").append(count);
    }
    return b.toString();
  }

  /** The largest binary unit that divides the size exactly, so the string stays exact. */
  static String formatSize(long bytes) {
    final String[] units = {"T", "G", "M", "K"};
    final int[] shifts = {40, 30, 20, 10};
    for (int i = 0; i < units.length; i++) {
      final long unit = 1L << shifts[i];
      if (bytes != 0 && bytes % unit == 0) {
        return (bytes / unit) + units[i];
      }
    }
    return Long.toString(bytes);
  }
}
