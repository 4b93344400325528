package dev.lifeline.transfer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lifeline.Session;
import dev.lifeline.transfer.TransferException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Plays arbitrary client messages into the server side of file transfer ({@link
 * TransferService}: request decoding in {@link UploadReceiver} and {@link DownloadSender}, names
 * through {@link FileNames}) over a recording {@link Session}, with real files in a temporary
 * directory. Whatever the messages:
 *
 * <ul>
 *   <li>{@code onMessage} returns, or throws {@link IllegalStateException} after it has sent the
 *       client an ERROR message (the session then ends with a reason the client can read); no
 *       other exception (a buffer underflow is a finding);
 *   <li>no file appears outside the files directory, and a complete file appears only under a
 *       name {@link FileNames} accepts, with the bytes whose SHA-256 the client sent;
 *   <li>{@link FileNames#resolve} itself either refuses a name with INVALID_NAME or returns a
 *       path directly inside the directory with exactly that name.
 * </ul>
 *
 * <p>Input layout: a sequence of messages, each a u16 length and that many bytes. An END whose
 * hash is 32 bytes of {@code 0xEE} gets the real SHA-256 of the partial file instead, since random
 * bytes cannot guess one.
 */
class TransferRequestFuzzTest {
  static final byte[] SHA_PLACEHOLDER = filled(32, 0xEE);

  static {
    // Fuzzing runs thousands of inputs a second; one INFO line each would be most of the cost.
    if (System.getenv("JAZZER_FUZZ") != null) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.lifeline"))
          .setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }

  @FuzzTest
  void messages(byte[] input) throws Exception {
    Path root = Files.createTempDirectory("transfer-fuzz");
    try {
      play(root, input);
    } finally {
      deleteRecursively(root);
    }
  }

  private static void play(Path root, byte[] input) throws Exception {
    Path files = root.resolve("files");
    TransferService service = new TransferService(files, 1 << 20, 4096, Duration.ofMillis(50));
    Files.writeString(files.resolve("hello.txt"), "hello, world\n");
    FakeSession session = new FakeSession("fuzz-session").queueTasks();
    ByteBuffer in = ByteBuffer.wrap(input);
    long seq = 0;
    try {
      while (in.remaining() >= 2) {
        int n = Math.min(Short.toUnsignedInt(in.getShort()), in.remaining());
        byte[] m = new byte[n];
        in.get(m);
        fillInHash(m, service, session);
        int sentBefore = session.sent().size();
        try {
          session.deliver(++seq);
          service.onMessage(session, seq, ByteBuffer.wrap(m).asReadOnlyBuffer());
          session.runQueued();
        } catch (IllegalStateException e) {
          assertTrue(session.sent().size() > sentBefore
              && session.sent().get(session.sent().size() - 1)[0] == TransferDescriptor.ERROR,
              "ended the session without telling the client: " + e);
          break; // the session is over
        }
      }
      checkName(files, new String(input, StandardCharsets.UTF_8));
    } finally {
      service.onClosed(session, null);
    }
    checkFiles(root, files);
  }

  /** Replaces the placeholder hash of an END by the real hash of what the upload holds. */
  private static void fillInHash(byte[] m, TransferService service, Session session)
      throws IOException {
    if (m.length == 1 + 32 && m[0] == TransferDescriptor.END
        && Arrays.equals(Arrays.copyOfRange(m, 1, 33), SHA_PLACEHOLDER)) {
      Path partial = service.partialFile(session.id());
      if (Files.exists(partial)) {
        System.arraycopy(sha256(Files.readAllBytes(partial)), 0, m, 1, 32);
      }
    }
  }

  private static void checkName(Path dir, String name) {
    try {
      Path p = FileNames.resolve(dir, name);
      assertEquals(dir.normalize(), p.getParent(), "resolved outside the directory: " + p);
      assertEquals(name, p.getFileName().toString(), "resolved to another name");
    } catch (TransferException e) {
      assertEquals(TransferException.Reason.INVALID_NAME, e.reason(), e.getMessage());
    }
  }

  /** Only the files directory under the root; complete files have acceptable names. */
  private static void checkFiles(Path root, Path files) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        if (p.equals(root)) {
          continue;
        }
        assertTrue(p.startsWith(files), "file outside the files directory: " + p);
        if (p.getParent().equals(files) && Files.isRegularFile(p)) {
          String name = p.getFileName().toString();
          try {
            FileNames.resolve(files, name);
          } catch (TransferException e) {
            fail("stored under a refused name: " + name);
          }
        }
      }
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static byte[] filled(int n, int v) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) v);
    return b;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
