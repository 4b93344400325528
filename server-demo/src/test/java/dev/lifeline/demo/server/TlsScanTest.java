package dev.lifeline.demo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lifeline.demo.testing.ChildJvm;
import dev.lifeline.demo.testing.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scans a running server-demo (child JVM, its own development certificate) with testssl.sh, the
 * Debian package CI installs, and reads its JSON report: nothing rated MEDIUM or worse; TLS 1.2
 * and 1.3 only; every suite offered forward secret and AEAD; no TLS compression; no
 * client-initiated renegotiation; the certificate chain verifies. The development CA is private,
 * so it is passed to testssl as trusted ({@code --add-ca}), exactly what a client of that server
 * does with {@code --ca}; the chain-of-trust check still runs and must pass.
 *
 * <p>Checks are limited to protocols, cipher categories, forward secrecy, server defaults, the
 * server's cipher order, and the handshake vulnerabilities that apply to a non-HTTP service
 * (Heartbleed, CCS injection, renegotiation, CRIME), which keeps the scan near a minute on an
 * idle machine (testssl spends its time in openssl subprocesses; several minutes under load).
 */
class TlsScanTest {
  private static final Pattern OBJECT = Pattern.compile("\\{([^{}]*)}");
  private static final Pattern FIELD =
      Pattern.compile("\"(\\w+)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Set<String> BAD = Set.of("MEDIUM", "HIGH", "CRITICAL");

  @TempDir Path dir;

  @Test
  void serverDemoPassesTheTlsScan() throws Exception {
    Path testssl = testssl();
    Path log = dir.resolve("server.log");
    Path json = dir.resolve("scan.json");
    Path out = dir.resolve("scan.txt");
    try (ServerProcess server = ServerProcess.start(dir.resolve("data"), 0, log)) {
      Process scan = new ProcessBuilder(testssl.toString(),
          "--quiet", "--warnings", "batch", "--color", "0", "--ip", "one",
          "--add-ca", dir.resolve("data/tls/ca.pem").toString(),
          "--jsonfile", json.toString(),
          "-p", "-s", "-f", "-S", "-P", "-H", "-I", "-R", "-C",
          server.address())
          .redirectErrorStream(true)
          .redirectOutput(out.toFile())
          .start();
      if (!scan.waitFor(15, TimeUnit.MINUTES)) {
        scan.destroyForcibly().waitFor();
        fail("testssl did not finish in 15 minutes:\n" + ChildJvm.read(out));
      }
      assertTrue(Files.isRegularFile(json), "no JSON report; output:\n" + ChildJvm.read(out));
      check(findings(json), ChildJvm.read(out));
      server.stop();
    }
    assertFalse(ChildJvm.read(log).contains("LEAK:"), ChildJvm.read(log));
  }

  private static void check(List<Map<String, String>> findings, String report) {
    assertTrue(findings.size() > 40, "too few findings, did the scan run? " + report);
    List<String> bad = findings.stream().filter(f -> BAD.contains(f.get("severity")))
        .map(f -> f.get("severity") + " " + f.get("id") + ": " + f.get("finding")).toList();
    assertEquals(List.of(), bad, "findings rated MEDIUM or worse; report:\n" + report);

    for (String old : List.of("SSLv2", "SSLv3", "TLS1", "TLS1_1")) {
      assertEquals("not offered", finding(findings, old), old);
    }
    assertTrue(finding(findings, "TLS1_2").startsWith("offered"), finding(findings, "TLS1_2"));
    assertTrue(finding(findings, "TLS1_3").startsWith("offered"), finding(findings, "TLS1_3"));
    for (String category : List.of("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT",
        "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE")) {
      assertTrue(finding(findings, category).startsWith("not offered"), category);
    }
    // The server's TLS 1.2 suites in its order (TLS 1.3 suites are all AEAD and forward secret)
    // and every suite the forward secrecy check saw, in OpenSSL's names.
    List<String> suites = new ArrayList<>();
    for (Map<String, String> f : findings) {
      if (f.get("id").startsWith("cipherorder_") || f.get("id").equals("PFS_ciphers")) {
        suites.addAll(List.of(f.get("finding").trim().split("\\s+")));
      }
    }
    assertFalse(suites.isEmpty(), "no cipher order in the report");
    for (String suite : suites) {
      boolean tls13 = suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_");
      assertTrue(tls13 || suite.startsWith("ECDHE-") || suite.startsWith("DHE-"),
          "not forward secret: " + suite);
      assertTrue(suite.contains("GCM") || suite.contains("CHACHA20-POLY1305")
          || suite.contains("CHACHA20_POLY1305") || suite.contains("CCM"), "not AEAD: " + suite);
    }
    assertTrue(finding(findings, "CRIME_TLS").startsWith("not vulnerable"), "TLS compression");
    assertTrue(finding(findings, "secure_client_renego").startsWith("not vulnerable"),
        "client-initiated renegotiation");
    assertEquals("passed.", finding(findings, "cert_chain_of_trust"), "chain of trust");
    assertTrue(finding(findings, "heartbleed").startsWith("not vulnerable"), "heartbleed");
    assertTrue(finding(findings, "CCS").startsWith("not vulnerable"), "CCS injection");
  }

  private static String finding(List<Map<String, String>> findings, String id) {
    return findings.stream().filter(f -> id.equals(f.get("id"))).map(f -> f.get("finding"))
        .findFirst().orElseThrow(() -> new AssertionError("no finding " + id));
  }

  /** testssl's JSON: a flat array of flat objects of string fields. */
  static List<Map<String, String>> findings(Path json) throws Exception {
    String text = Files.readString(json, StandardCharsets.UTF_8);
    List<Map<String, String>> all = new ArrayList<>();
    Matcher o = OBJECT.matcher(text);
    while (o.find()) {
      Matcher f = FIELD.matcher(o.group(1));
      List<String[]> fields = new ArrayList<>();
      while (f.find()) {
        fields.add(new String[] {f.group(1), f.group(2).replace("\\\"", "\"")});
      }
      all.add(fields.stream().collect(Collectors.toMap(x -> x[0], x -> x[1], (a, b) -> a)));
    }
    return all;
  }

  private static Path testssl() {
    for (String candidate : List.of("/usr/bin/testssl", "/usr/bin/testssl.sh")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return Path.of(candidate);
      }
    }
    throw new AssertionError("testssl.sh is not installed (Debian package testssl.sh; "
        + ".ci/run installs it)");
  }
}
