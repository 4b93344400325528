package dev.lifeline.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.Authenticator;
import dev.lifeline.testing.FaultProxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /files/NAME} with the real curl binary: an interrupted download resumes with {@code
 * curl -C -}; a resume against a changed file is refused by the ETag; hostile names and partial
 * uploads are never served; downloads obey the server's authenticator.
 */
class FileDownloadTest {
  @TempDir Path dir;
  HttpTestServer server;

  @BeforeEach
  void start() throws Exception {
    server = new HttpTestServer(dir);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void curlResumesAnInterruptedDownload() throws Exception {
    Path file = server.putFile("big.bin", 6 << 20, 11);
    Path out = dir.resolve("big.download");
    try (FaultProxy proxy = FaultProxy.start("127.0.0.1", server.server.port())) {
      // The first connection is reset after 1-2 MiB; later ones run clean.
      proxy.setPlan("cut=1M..2M,mode=rst,count=1", 5);
      String url = "https://127.0.0.1:" + proxy.port() + "/files/big.bin";
      HttpTestServer.Run first = server.curl("--output", out.toString(), url);
      assertNotEquals(0, first.exit(), first.toString());
      long partial = Files.size(out);
      assertTrue(partial > 0 && partial < Files.size(file), "partial " + partial);

      HttpTestServer.Run resumed = server.curl("--continue-at", "-", "--write-out",
          "%{http_code}", "--output", out.toString(), url);
      assertEquals(0, resumed.exit(), resumed.toString());
      assertEquals("206", resumed.out(), "the resume must be a partial response");
      assertEquals(1, proxy.cuts());
    }
    assertEquals(HttpTestServer.sha256(file), HttpTestServer.sha256(out));
  }

  @Test
  void ifRangeRefusesToResumeAgainstAChangedFile() throws Exception {
    Path file = server.putFile("doc.bin", 1 << 20, 21);
    String url = server.url("/files/doc.bin");
    String oldTag = header(server.curl("--head", url).out(), "etag");
    assertTrue(oldTag.startsWith("\"") && oldTag.endsWith("\""), oldTag);

    // The same file: If-Range holds, the client gets the range it asked for.
    Path tail = dir.resolve("tail");
    HttpTestServer.Run same = server.curl("--header", "If-Range: " + oldTag, "--range",
        "1000-", "--write-out", "%{http_code}", "--output", tail.toString(), url);
    assertEquals("206", same.out(), same.toString());
    byte[] original = Files.readAllBytes(file);
    assertArrayEquals(Arrays.copyOfRange(original, 1000, original.length),
        Files.readAllBytes(tail));

    // The file is replaced by another one of the same size.
    Files.delete(file);
    server.putFile("doc.bin", 1 << 20, 22);
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    byte[] replaced = Files.readAllBytes(file);
    String newTag = header(server.curl("--head", url).out(), "etag");
    assertNotEquals(oldTag, newTag);

    // A stale If-Range gets the whole new file with 200, never a piece to stitch onto the old.
    Path whole = dir.resolve("whole");
    HttpTestServer.Run stale = server.curl("--header", "If-Range: " + oldTag, "--range",
        "1000-", "--write-out", "%{http_code}", "--output", whole.toString(), url);
    assertEquals("200", stale.out(), stale.toString());
    assertArrayEquals(replaced, Files.readAllBytes(whole));

    // curl -C - with the old validator: the server answers 200, and curl refuses to append.
    Path part = dir.resolve("part");
    Files.write(part, Arrays.copyOf(original, 1000));
    HttpTestServer.Run resume = server.curl("--continue-at", "-", "--header",
        "If-Range: " + oldTag, "--write-out", "%{http_code}", "--output", part.toString(), url);
    assertEquals("200", resume.out(), resume.toString());
    assertEquals(33, resume.exit(), "curl: cannot resume, server does not honour the range");

    // If-Match with the old tag: 412; If-None-Match with the new one: 304.
    assertEquals("412", server.curl("--header", "If-Match: " + oldTag, "--write-out",
        "%{http_code}", "--output", "/dev/null", url).out());
    assertEquals("304", server.curl("--header", "If-None-Match: " + newTag, "--write-out",
        "%{http_code}", "--output", "/dev/null", url).out());
    // A range past the end: 416 with the size.
    HttpTestServer.Run past = server.curl("--range", "99999999-", "--dump-header", "-",
        "--output", "/dev/null", url);
    assertTrue(past.out().startsWith("HTTP/1.1 416"), past.toString());
    assertEquals("bytes */" + replaced.length, header(past.out(), "content-range"));
  }

  @Test
  void hostileNamesAndPartialUploadsAreNeverServed() throws Exception {
    Files.writeString(dir.resolve("secret.txt"), "outside the files directory");
    Path partial = server.files.filesDir().resolve(".partial").resolve("some-session");
    Files.writeString(partial, "half an upload");
    Files.createSymbolicLink(server.files.filesDir().resolve("link"), dir.resolve("secret.txt"));
    for (String path : new String[] {"/files/..%2Fsecret.txt", "/files/../secret.txt",
        "/files/.partial%2Fsome-session", "/files/.partial", "/files/.meta", "/files/%2e%2e",
        "/files/a%00b", "/files/%20padded", "/files/sub%2Fx", "/files/sub//x"}) {
      HttpTestServer.Run r = server.curl("--path-as-is", "--write-out", "%{http_code}",
          "--output", dir.resolve("got").toString(), server.url(path));
      assertEquals("400", r.out(), path + ": " + r);
      assertTrue(!Files.readString(dir.resolve("got")).contains("half an upload")
          && !Files.readString(dir.resolve("got")).contains("outside"), path);
    }
    assertEquals("404", server.curl("--write-out", "%{http_code}", "--output", "/dev/null",
        server.url("/files/link")).out(), "symbolic links are not followed");
    assertEquals("404", server.curl("--write-out", "%{http_code}", "--output", "/dev/null",
        server.url("/files/missing.bin")).out());
    assertEquals("404", server.curl("--write-out", "%{http_code}", "--output", "/dev/null",
        server.url("/files/sub/x")).out(), "a tree name is looked up; there is none");
    assertEquals("405", server.curl("--request", "DELETE", "--write-out", "%{http_code}",
        "--output", "/dev/null", server.url("/files/missing.bin")).out());
  }

  @Test
  void downloadsObeyTheServersAuthenticator() throws Exception {
    server.close();
    Authenticator tokens = (peer, credentials) -> {
      if (!"s3cret".equals(new String(credentials, StandardCharsets.UTF_8))) {
        throw new Authenticator.AuthenticationException("unknown token");
      }
      return "alice";
    };
    server = new HttpTestServer(dir.resolve("auth"), tokens, Access.LOOPBACK, Access.LOOPBACK);
    server.putFile("private.bin", 4096, 3);
    String url = server.url("/files/private.bin");
    assertEquals("401", server.curl("--write-out", "%{http_code}", "--output", "/dev/null", url)
        .out());
    assertEquals("401", server.curl("--header", "Authorization: Bearer wrong", "--write-out",
        "%{http_code}", "--output", "/dev/null", url).out());
    assertEquals("200", server.curl("--header", "Authorization: Bearer s3cret", "--write-out",
        "%{http_code}", "--output", "/dev/null", url).out());
    assertEquals("200", server.curl("--oauth2-bearer", "s3cret", "--write-out",
        "%{http_code}", "--output", "/dev/null", url).out());
  }

  static String header(String response, String name) {
    for (String line : response.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    throw new AssertionError("no " + name + " header in " + response);
  }
}
