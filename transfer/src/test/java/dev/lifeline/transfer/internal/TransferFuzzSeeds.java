package dev.lifeline.transfer.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the seed corpus of {@link TransferRequestFuzzTest}: a complete upload, a download, and
 * requests with hostile names. Run once by hand; the files are committed.
 *
 * <pre>java -cp transfer/target/test-classes:transfer/target/classes:$(deps) \
 *   dev.lifeline.transfer.internal.TransferFuzzSeeds transfer/src/test/resources</pre>
 */
public final class TransferFuzzSeeds {
  private TransferFuzzSeeds() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0],
        "dev/lifeline/transfer/internal/TransferRequestFuzzTestInputs/messages");
    Files.createDirectories(dir);
    byte[] data = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    byte[] end = TransferDescriptor.end(TransferRequestFuzzTest.SHA_PLACEHOLDER);
    Files.write(dir.resolve("upload-complete"), messages(
        TransferDescriptor.upload(16, 1_700_000_000_000L, "report.pdf"),
        chunk(0, data, 0, 10), chunk(10, data, 10, 6), end));
    Files.write(dir.resolve("upload-overlapping-chunks"), messages(
        TransferDescriptor.upload(16, 0, "a b.txt"),
        chunk(0, data, 0, 10), chunk(4, data, 4, 12), chunk(0, data, 0, 16), end));
    Files.write(dir.resolve("upload-wrong-hash"), messages(
        TransferDescriptor.upload(16, 0, "x"), chunk(0, data, 0, 16),
        TransferDescriptor.end(new byte[32])));
    Files.write(dir.resolve("upload-exists"), messages(
        TransferDescriptor.upload(1, 0, "hello.txt")));
    Files.write(dir.resolve("upload-traversal"), messages(
        TransferDescriptor.upload(1, 0, "../../etc/passwd")));
    Files.write(dir.resolve("upload-long-name"), messages(
        TransferDescriptor.upload(1, 0, "n".repeat(250)), chunk(0, data, 0, 1), end));
    Files.write(dir.resolve("download"), messages(
        TransferDescriptor.download(0, "hello.txt", 1)));
    Files.write(dir.resolve("download-missing-then-upload"), messages(
        TransferDescriptor.download(5, "missing", 1), TransferDescriptor.upload(1, 0, "y")));
    Files.write(dir.resolve("chunk-first"), messages(chunk(0, data, 0, 4)));
    Files.write(dir.resolve("truncated-upload"), messages(new byte[] {TransferDescriptor.UPLOAD,
        0, 0, 0}));
  }

  static byte[] chunk(long offset, byte[] data, int from, int length) {
    return ByteBuffer.allocate(9 + length).put(TransferDescriptor.CHUNK).putLong(offset)
        .put(data, from, length).array();
  }

  static byte[] messages(byte[]... messages) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] m : messages) {
      out.write(m.length >>> 8);
      out.write(m.length & 0xff);
      out.writeBytes(m);
    }
    return out.toByteArray();
  }
}
