package dev.lifeline.http;

import dev.lifeline.Authenticator;
import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.transfer.FileTransferServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real Lifeline server with file transfer and the HTTP frontend on one port, its development
 * CA under {@code dir/tls/ca.pem}, and helpers to call it with curl or a raw TLS socket.
 */
final class HttpTestServer implements AutoCloseable {
  final Path dir;
  final FileTransferServer files;
  final LifelineServer server;

  HttpTestServer(Path dir, Authenticator authenticator, Access statusAccess, Access metricsAccess)
      throws IOException {
    this(dir, authenticator, statusAccess, metricsAccess, dev.lifeline.TlsProvider.AUTO);
  }

  HttpTestServer(Path dir, Authenticator authenticator, Access statusAccess, Access metricsAccess,
      dev.lifeline.TlsProvider provider) throws IOException {
    this.dir = dir;
    this.files = FileTransferServer.builder(dir.resolve("files"))
        .checkpointEvery(1 << 20, Duration.ofMillis(200)).build();
    this.server = LifelineServer.builder()
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls"))
            .provider(provider).build())
        .store(InMemoryCheckpointStore.builder().build())
        .handler(files.handler())
        .authenticator(authenticator)
        .idleTimeout(Duration.ofSeconds(2))
        .http(HttpFrontend.builder(files).authenticator(authenticator)
            .statusAccess(statusAccess).metricsAccess(metricsAccess).build())
        .start();
  }

  HttpTestServer(Path dir) throws IOException {
    this(dir, Authenticator.DEFAULT, Access.LOOPBACK, Access.LOOPBACK);
  }

  Path ca() {
    return dir.resolve("tls/ca.pem");
  }

  String url(String path) {
    return "https://127.0.0.1:" + server.port() + path;
  }

  /** Writes a complete file of random bytes into the files directory. */
  Path putFile(String name, int size, long seed) throws IOException {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    Path p = files.filesDir().resolve(name);
    Files.write(p, data);
    return p;
  }

  LifelineClient client(Path clientDir, String chaos, long seed) throws IOException {
    LifelineClient.Builder b = LifelineClient.builder()
        .server("127.0.0.1", server.port())
        .tls(ClientTlsConfig.builder().trustedCa(ca()).build())
        .store(InMemoryCheckpointStore.builder().build())
        .idleTimeout(Duration.ofSeconds(2))
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60));
    if (chaos != null) {
      dev.lifeline.testing.Chaos.of(dev.lifeline.testing.ChaosSpec.parse(chaos), seed).install(b);
    }
    return b.build();
  }

  /** Runs the real curl binary against this server; returns exit code and stdout. */
  Run curl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("curl", "--silent", "--show-error",
        "--cacert", ca().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    byte[] out;
    byte[] err;
    try (InputStream o = p.getInputStream(); InputStream e = p.getErrorStream()) {
      out = o.readAllBytes();
      err = e.readAllBytes();
    }
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("curl did not finish: " + cmd);
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8), cmd);
  }

  record Run(int exit, String out, String err, List<String> cmd) {
    @Override
    public String toString() {
      return "curl exit " + exit + " " + cmd + "\nstdout: " + out + "\nstderr: " + err;
    }
  }

  /** A TLS socket to the server that trusts the development CA and offers {@code alpn}. */
  SSLSocket socket(String... alpn) throws Exception {
    return socketTrusting(ca(), alpn);
  }

  /** A TLS socket to the server that trusts only the CA in {@code caPem}; handshake done. */
  SSLSocket socketTrusting(Path caPem, String... alpn) throws Exception {
    SSLSocket s = (SSLSocket) sslContext(caPem).getSocketFactory().createSocket(
        new Socket("127.0.0.1", server.port()), "127.0.0.1", server.port(), true);
    SSLParameters params = s.getSSLParameters();
    if (alpn.length > 0) {
      params.setApplicationProtocols(alpn);
    }
    s.setSSLParameters(params);
    s.setSoTimeout(10_000);
    s.startHandshake();
    return s;
  }

  /** A JDK HTTP/1.1 client that trusts the development CA. */
  java.net.http.HttpClient httpClient() throws Exception {
    return java.net.http.HttpClient.newBuilder().sslContext(sslContext(ca()))
        .version(java.net.http.HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** A TLS context that trusts only the CA in {@code caPem}. */
  static SSLContext sslContext(Path caPem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      ks.setCertificateEntry("ca", (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(
        TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  static String sha256(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(p)));
  }

  @Override
  public void close() {
    server.close();
  }
}
