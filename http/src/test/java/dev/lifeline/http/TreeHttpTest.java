package dev.lifeline.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.LifelineClient;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.StoredFile;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trees over HTTPS: any file of a tree is served with ranges as single files are, a directory
 * prefix is listed (text, JSON, HTML) with what the Lifeline listing says, and paths that would
 * leave the files directory, reach a hidden name or go through a symbolic link are refused
 * without revealing anything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TreeHttpTest {
  // One server for the class: the tests only read the tree, and a server start (fresh
  // development certificates) is most of a test's time.
  Path dir;
  HttpTestServer server;
  private static final int MANY = 400;
  HttpClient http;
  Path files;
  byte[] big;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    server = new HttpTestServer(dir.resolve("server"));
    http = server.httpClient();
    files = server.files.filesDir();
    big = new byte[100_000];
    new Random(7).nextBytes(big);
    put("photos/2024/a.bin", big);
    put("photos/2024/b c+d.bin", "plus and space".getBytes(StandardCharsets.UTF_8));
    put("photos/2024-notes.txt", "sorts before photos/2024/".getBytes(StandardCharsets.UTF_8));
    put("photos/données/été.txt", "bonjour".getBytes(StandardCharsets.UTF_8));
    put("photos/x<b>&'.txt", "markup".getBytes(StandardCharsets.UTF_8));
    put("photos/zero.bin", new byte[0]);
    put("photos/.hidden", "hidden".getBytes(StandardCharsets.UTF_8));
    put("photos/onlyhidden/.secret", "hidden".getBytes(StandardCharsets.UTF_8));
    Files.createDirectories(files.resolve("photos/empty"));
    put("top.bin", "at the top".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < MANY; i++) {
      put(many(i), ("file " + i + "\n").getBytes(StandardCharsets.UTF_8));
    }
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), "outside the files directory");
    Files.createSymbolicLink(files.resolve("photos/out"), outside);
    Files.createSymbolicLink(files.resolve("photos/2024/link.bin"), outside.resolve("secret.txt"));
  }

  /** The name of the i-th file of a tree whose listing is many chunks long. */
  private static String many(int i) {
    return String.format("many/d%02d/f%04d-%s.txt", i % 20, i, "n".repeat(240));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void nestedFilesAreServedWithRanges() throws Exception {
    String url = "/files/photos/2024/a.bin";
    HttpResponse<byte[]> whole = get(url);
    assertEquals(200, whole.statusCode());
    assertArrayEquals(big, whole.body());
    String etag = whole.headers().firstValue("etag").orElseThrow();
    assertEquals("bytes", whole.headers().firstValue("accept-ranges").orElseThrow());

    assertRange(url, "bytes=0-9", 0, 10);
    assertRange(url, "bytes=50000-50999", 50_000, 1000);
    assertRange(url, "bytes=99990-99999", 99_990, 10);
    assertRange(url, "bytes=-10", 99_990, 10);
    assertRange(url, "bytes=99000-", 99_000, 1000);
    HttpResponse<byte[]> past = get(url, "Range", "bytes=100000-");
    assertEquals(416, past.statusCode());
    assertEquals("bytes */100000", past.headers().firstValue("content-range").orElseThrow());
    HttpResponse<byte[]> same = get(url, "Range", "bytes=5-6", "If-Range", etag);
    assertEquals(206, same.statusCode());

    // Names that need percent-encoding, per component; '+' is a plus sign in a path.
    assertEquals("plus and space", text(get("/files/photos/2024/b%20c+d.bin")));
    assertEquals("bonjour", text(get("/files/photos/donn%C3%A9es/%C3%A9t%C3%A9.txt")));
    HttpResponse<byte[]> empty = get("/files/photos/zero.bin");
    assertEquals(200, empty.statusCode());
    assertEquals(0, empty.body().length);
  }

  @Test
  void aPrefixIsListedSortedWithSizesChecksumsAndEmptyDirectories() throws Exception {
    HttpResponse<byte[]> r = get("/files/photos/");
    assertEquals(200, r.statusCode(), text(r));
    assertEquals("text/plain; charset=utf-8", r.headers().firstValue("content-type").get());
    List<String> lines = text(r).lines().toList();
    List<String> names = lines.stream().map(l -> l.split(" ", 4)[3]).toList();
    assertEquals(List.of("photos/2024-notes.txt", "photos/2024/a.bin", "photos/2024/b c+d.bin",
        "photos/données/été.txt", "photos/empty/", "photos/onlyhidden/", "photos/x<b>&'.txt",
        "photos/zero.bin"), names, "sorted by full name; hidden names and links left out");
    String a = lines.get(1);
    assertEquals(big.length + " " + sha256(big) + " "
        + Instant.ofEpochMilli(Files.getLastModifiedTime(files.resolve("photos/2024/a.bin"))
            .toMillis()) + " photos/2024/a.bin", a);
    assertTrue(lines.get(4).startsWith("- - "), lines.get(4));
    assertEquals("0 " + sha256(new byte[0]), lines.get(7).substring(0, 66));

    // The listing agrees with what the Lifeline protocol lists for the same prefix.
    List<String> lifeline = new ArrayList<>();
    try (LifelineClient c = server.client(dir.resolve("client"), null, 1)) {
      for (StoredFile f : new FileTransferClient(c, "test").list("photos")) {
        lifeline.add(f.size() + " " + f.sha256() + " "
            + Instant.ofEpochMilli(f.mtimeMillis()) + " " + f.name());
      }
    }
    assertEquals(lifeline, lines.stream().filter(l -> !l.startsWith("- ")).toList());
  }

  @Test
  void listingsOfEverythingOfAnEmptyDirectoryAndOfAMissingPrefix() throws Exception {
    List<String> all = text(get("/files/")).lines().map(l -> l.split(" ", 4)[3])
        .filter(n -> !n.startsWith("many/")).toList();
    assertEquals(9, all.size(), all.toString());
    assertEquals("photos/2024-notes.txt", all.get(0));
    assertEquals("top.bin", all.get(8));
    assertEquals(all.stream().sorted().toList(), all);

    List<String> empty = text(get("/files/photos/empty/")).lines().toList();
    assertEquals(1, empty.size(), empty.toString());
    assertTrue(empty.get(0).startsWith("- - ") && empty.get(0).endsWith(" photos/empty/"));

    assertEquals(404, get("/files/nothing/").statusCode());
    assertEquals(404, get("/files/photos/zero.bin/").statusCode(), "a file is no directory");
    HttpResponse<byte[]> redirect = get("/files/photos/donn%C3%A9es");
    assertEquals(301, redirect.statusCode());
    assertEquals("/files/photos/donn%C3%A9es/",
        redirect.headers().firstValue("location").orElseThrow());
    assertEquals("/files/", get("/files").headers().firstValue("location").orElseThrow());
  }

  @Test
  void jsonAndHtmlListingsForScriptsAndBrowsers() throws Exception {
    HttpResponse<byte[]> json = get("/files/photos/2024/", "Accept", "application/json");
    assertEquals("application/json", json.headers().firstValue("content-type").get());
    String body = text(json);
    assertTrue(body.startsWith("{\"prefix\":\"photos/2024/\",\"entries\":[\n"), body);
    assertTrue(body.endsWith("\n],\"files\":2,\"directories\":0,\"bytes\":"
        + (big.length + 14) + "}\n"), body);
    Matcher m = Pattern.compile("\\{\"name\":\"([^\"]+)\",\"type\":\"file\",\"size\":(\\d+),"
        + "\"sha256\":\"([0-9a-f]{64})\",\"mtime\":\"[0-9TZ:.-]+\",\"mtimeMillis\":\\d+}")
        .matcher(body);
    assertTrue(m.find(), body);
    assertEquals("photos/2024/a.bin", m.group(1));
    assertEquals(sha256(big), m.group(3));
    assertEquals(body, text(get("/files/photos/2024/?format=json")));
    assertTrue(text(get("/files/photos/empty/", "Accept", "application/json"))
        .contains("{\"name\":\"photos/empty\",\"type\":\"dir\",\"mtime\":"));

    HttpResponse<byte[]> page = get("/files/photos/", "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    assertEquals("text/html; charset=utf-8", page.headers().firstValue("content-type").get());
    assertTrue(page.headers().firstValue("content-security-policy").get()
        .startsWith("default-src 'none'"));
    String html = text(page);
    assertTrue(html.contains("<a href=\"/files/photos/2024/b%20c%2Bd.bin\">"), html);
    assertTrue(html.contains("<a href=\"/files/photos/x%3Cb%3E%26%27.txt\">"
        + "photos/x&lt;b&gt;&amp;&#39;.txt</a>"), html);
    assertFalse(html.contains("<b>"), "names are escaped");
    assertEquals(400, get("/files/photos/?format=xml").statusCode());
  }

  @Test
  void hostilePathsAreRefusedWithoutRevealingAnything() throws Exception {
    for (String path : new String[] {"/files/photos/../top.bin", "/files/photos/%2e%2e/top.bin",
        "/files/photos/%2E%2E/%2E%2E/outside/secret.txt", "/files/photos%2F2024%2Fa.bin",
        "/files/photos%2f..%2f..%2foutside%2fsecret.txt", "/files/photos/.hidden",
        "/files/photos/onlyhidden/.secret", "/files/.meta/", "/files/.partial/",
        "/files/photos//2024/a.bin", "/files/photos/%ZZ", "/files/photos/%C3",
        "/files/photos/a%00b", "/files/./top.bin", "/files/photos/2024/a.bin%5C..%5C..%5Ctop.bin"}) {
      String answer = raw(path);
      assertTrue(answer.startsWith("HTTP/1.1 400 "), path + ": " + answer);
      assertFalse(answer.contains("outside the files directory") || answer.contains("hidden\n"),
          path);
    }
    for (String path : new String[] {"/files/photos/out/secret.txt", "/files/photos/out/",
        "/files/photos/out", "/files/photos/2024/link.bin"}) {
      String answer = raw(path);
      assertTrue(answer.startsWith("HTTP/1.1 404 "), path + ": " + answer);
      assertFalse(answer.contains("outside the files directory"), path);
    }
    String everything = text(get("/files/"));
    assertFalse(everything.contains("secret") || everything.contains(".hidden")
        || everything.contains("photos/out") || everything.contains("link.bin"), everything);
  }

  @Test
  void aLargeListingIsStreamedWholeAndAnAbandonedOneFreesItsThread() throws Exception {
    // A client that reads the start of a listing and goes away.
    try (SSLSocket s = server.socket("http/1.1")) {
      s.getOutputStream().write("GET /files/many/ HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      assertTrue(s.getInputStream().readNBytes(1000).length == 1000);
    }
    HttpResponse<byte[]> r = get("/files/many/");
    assertEquals(200, r.statusCode());
    // Twice what the producer may queue ahead of the client (4 chunks of 16 KiB).
    assertTrue(r.body().length > 2 * 4 * 16 * 1024, "listing of " + r.body().length + " bytes");
    List<String> lines = text(r).lines().toList();
    assertEquals(MANY, lines.size());
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < MANY; i++) {
      expected.add(many(i));
    }
    assertEquals(expected.stream().sorted().toList(),
        lines.stream().map(l -> l.split(" ", 4)[3]).toList());
    for (String l : lines) {
      String[] f = l.split(" ", 4);
      int i = Integer.parseInt(f[3].substring(f[3].indexOf("/f") + 2, f[3].indexOf('-')));
      byte[] content = ("file " + i + "\n").getBytes(StandardCharsets.UTF_8);
      assertEquals(content.length + " " + sha256(content), f[0] + " " + f[1], l);
    }
    // No listing thread stays behind waiting to write to the client that left.
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
        Thread.getAllStackTraces().entrySet().stream().noneMatch(e ->
            e.getKey().getName().equals("lifeline-http-listing") && Arrays.stream(e.getValue())
                .anyMatch(f -> f.getClassName().endsWith("ListingStream"))));
  }

  @Test
  void curlListsAndFetchesTheTree() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(curlPresent(), "no curl binary on this machine");
    HttpTestServer.Run list = server.curl("--fail", server.url("/files/photos/"));
    assertEquals(0, list.exit(), list.toString());
    assertEquals(text(get("/files/photos/")), list.out());
    HttpTestServer.Run followed = server.curl("--fail", "--location",
        server.url("/files/photos"));
    assertEquals(list.out(), followed.out(), "curl -L follows /files/photos to the listing");
    HttpTestServer.Run json = server.curl("--fail", "--header", "Accept: application/json",
        server.url("/files/photos/2024/"));
    assertTrue(json.out().startsWith("{\"prefix\":\"photos/2024/\""), json.toString());
    HttpTestServer.Run head = server.curl("--head", server.url("/files/photos/"));
    assertTrue(head.out().startsWith("HTTP/1.1 200 "), head.toString());
    assertTrue(head.out().toLowerCase(java.util.Locale.ROOT)
        .contains("content-type: text/plain; charset=utf-8"), head.toString());

    Path out = dir.resolve("curl-range");
    HttpTestServer.Run range = server.curl("--fail", "--range", "100-199", "--output",
        out.toString(), server.url("/files/photos/2024/a.bin"));
    assertEquals(0, range.exit(), range.toString());
    assertArrayEquals(Arrays.copyOfRange(big, 100, 200), Files.readAllBytes(out));
    // curl -C - continues a nested file from what it has.
    Files.write(out, Arrays.copyOf(big, 30_000));
    HttpTestServer.Run resumed = server.curl("--continue-at", "-", "--write-out",
        "%{http_code}", "--output", out.toString(), server.url("/files/photos/2024/a.bin"));
    assertEquals("206", resumed.out(), resumed.toString());
    assertArrayEquals(big, Files.readAllBytes(out));
    HttpTestServer.Run unicode = server.curl("--fail", server.url(
        "/files/photos/donn%C3%A9es/%C3%A9t%C3%A9.txt"));
    assertEquals("bonjour", unicode.out());
    assertEquals("400", server.curl("--path-as-is", "--write-out", "%{http_code}", "--output",
        "/dev/null", server.url("/files/photos/../top.bin")).out());
  }

  private static boolean curlPresent() {
    try {
      Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (java.io.IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A request written by hand on a TLS socket, so no client library normalises the path. */
  private String raw(String path) throws Exception {
    try (SSLSocket s = server.socket("http/1.1")) {
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private void assertRange(String url, String range, int first, int length) throws Exception {
    HttpResponse<byte[]> r = get(url, "Range", range);
    assertEquals(206, r.statusCode(), range);
    assertEquals("bytes " + first + "-" + (first + length - 1) + "/" + big.length,
        r.headers().firstValue("content-range").orElseThrow(), range);
    assertArrayEquals(Arrays.copyOfRange(big, first, first + length), r.body(), range);
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url(path)));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  private void put(String name, byte[] data) throws Exception {
    Path p = files.resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, data);
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(data));
  }
}
