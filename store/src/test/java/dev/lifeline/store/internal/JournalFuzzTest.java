package dev.lifeline.store.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreCorruptedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Opens store directories whose journal is arbitrary bytes, through the real {@link Recovery}
 * (and so {@link JournalReader} and {@link RecordCodec}). Whatever the bytes, opening either
 * succeeds or fails with {@link StoreCorruptedException}; never another exception, never an
 * allocation beyond the file's size or the payload limit (the fuzz profile runs with a bounded
 * heap), and a successful recovery is stable: opening the same directory again gives the same
 * records and the same next sequence, and only the last segment's tail was cut.
 *
 * <p>Random bytes rarely pass a CRC32C, so the input is read as a recipe (byte 0 picks the
 * variant): either raw segment bytes, or records whose checksums and sequences the harness fills
 * in, optionally with a bit flipped or a torn tail afterwards, in the newest segment or in a
 * sealed one. Normal runs replay the committed inputs under {@code JournalFuzzTestInputs/open}.
 */
class JournalFuzzTest {

  static {
    // Fuzzing runs thousands of inputs a second; one INFO line each would be most of the cost.
    if (System.getenv("JAZZER_FUZZ") != null) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.lifeline"))
          .setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }
  static final int RAW = 0;
  static final int FIX_CHECKSUMS = 1;
  static final int SEALED = 2;
  static final int FLIP_BIT = 4;
  static final int TEAR_TAIL = 8;
  static final int KEEP_SEQUENCES = 16;

  @FuzzTest
  void open(byte[] input) throws IOException {
    if (input.length < 1) {
      return;
    }
    Path dir = Files.createTempDirectory("journal-fuzz");
    try {
      openDirectory(dir, input);
    } finally {
      deleteRecursively(dir);
    }
  }

  private static void openDirectory(Path dir, byte[] input) throws IOException {
    int mode = input[0] & 0xff;
    ByteBuffer recipe = ByteBuffer.wrap(input, 1, input.length - 1).slice();
    boolean structured = (mode & FIX_CHECKSUMS) != 0;
    Built built = structured
        ? records(recipe, (mode & KEEP_SEQUENCES) != 0)
        : new Built(bytes(recipe), 0);
    // structured: a valid header, then the records; raw: the header too is the fuzzer's
    byte[] segment = structured ? concat(header(1), built.bytes) : built.bytes;
    if ((mode & FLIP_BIT) != 0 && segment.length > 0) {
      int bit = Math.floorMod(Arrays.hashCode(input), segment.length * 8);
      segment[bit / 8] ^= (byte) (1 << (bit % 8));
    }
    if ((mode & TEAR_TAIL) != 0 && segment.length > 0) {
      segment = Arrays.copyOf(segment, segment.length - 1 - (mode >>> 5) % segment.length);
    }
    Path first = dir.resolve(String.format("journal-%020d.log", 1));
    Files.write(first, segment);
    boolean sealed = structured && (mode & SEALED) != 0;
    if (sealed) {
      // the next segment starts after the records the first one was built with
      Files.write(dir.resolve(String.format("journal-%020d.log", built.records + 1)),
          header(built.records + 1));
    }

    Recovery.Result once;
    try (StoreDirectory locked = StoreDirectory.lock(dir)) {
      once = Recovery.recover(locked);
    } catch (StoreCorruptedException e) {
      assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
      return; // a clear refusal: fine
    }
    for (SessionRecord r : once.records().values()) {
      SessionRecord.validateId(r.id());
    }
    if (!sealed && Files.exists(first)) {
      byte[] left = Files.readAllBytes(first);
      assertTrue(left.length <= segment.length, "recovery grew the segment");
      assertArrayEquals(Arrays.copyOf(segment, left.length), left,
          "recovery changed bytes it kept");
    }
    Recovery.Result twice;
    try (StoreDirectory locked = StoreDirectory.lock(dir)) {
      twice = Recovery.recover(locked);
    }
    assertEquals(once.nextSequence(), twice.nextSequence(), "next sequence after reopening");
    assertEquals(summary(once.records()), summary(twice.records()), "records after reopening");
  }

  /** A record's content, comparable across recoveries. */
  private static Map<String, String> summary(Map<String, SessionRecord> records) {
    return records.entrySet().stream().collect(java.util.stream.Collectors.toMap(
        Map.Entry::getKey,
        e -> {
          SessionRecord r = e.getValue();
          return Arrays.toString(r.secret()) + "|" + r.identity() + "|" + r.createdAtMillis() + "|"
              + r.lastActiveMillis() + "|" + r.checkpoint().position() + "|"
              + Arrays.toString(r.checkpoint().state()) + "|" + Arrays.toString(r.attributes());
        }));
  }

  record Built(byte[] bytes, long records) {}

  /**
   * Records from a recipe: per record a control byte (type in the low two bits; bit 7 means a
   * sequence byte follows, as an offset from the expected one), a u16 payload length (cut to what
   * is left), then the payload.
   */
  static Built records(ByteBuffer recipe, boolean keepSequences) {
    ByteBuffer out = ByteBuffer.allocate(recipe.remaining() * 2 + 64);
    long expected = 1;
    long count = 0;
    while (recipe.remaining() >= 3) {
      int control = recipe.get() & 0xff;
      byte type = (byte) (control & 3);
      long seq = expected;
      if ((control & 0x80) != 0 && recipe.hasRemaining()) {
        seq = expected + recipe.get();
      }
      if (recipe.remaining() < 2) {
        break;
      }
      int length = Math.min(Short.toUnsignedInt(recipe.getShort()), recipe.remaining());
      byte[] payload = new byte[length];
      recipe.get(payload);
      if (out.remaining() < JournalDescriptor.RECORD_HEADER_LENGTH + length) {
        break;
      }
      int at = out.position();
      out.putInt(0).putInt(length).putLong(keepSequences ? seq : expected).put(type).put(payload);
      CRC32C crc = new CRC32C();
      crc.update(out.array(), at + JournalDescriptor.CRC_COVERAGE_OFFSET,
          JournalDescriptor.RECORD_HEADER_LENGTH - JournalDescriptor.CRC_COVERAGE_OFFSET + length);
      out.putInt(at + JournalDescriptor.CRC_OFFSET, (int) crc.getValue());
      expected++;
      count++;
    }
    return new Built(Arrays.copyOf(out.array(), out.position()), count);
  }

  static byte[] header(long firstSequence) {
    return ByteBuffer.allocate(JournalDescriptor.SEGMENT_HEADER_LENGTH)
        .putInt(JournalDescriptor.SEGMENT_MAGIC).putInt(JournalDescriptor.SEGMENT_VERSION)
        .putLong(firstSequence).array();
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
