package dev.lifeline.bench.records;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttClientPersistence;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.client.mqttv3.persist.MqttDefaultFilePersistence;

/**
 * The anchor of {@code bench/records.sh}: one Eclipse Paho publisher sends numbered 200-byte
 * records to mosquitto over TLS at QoS 1 or 2 and times them until every one is acknowledged
 * (PUBACK for QoS 1, PUBCOMP for QoS 2), which is what Paho's {@code deliveryComplete} reports.
 *
 * <p>The publisher is the durable kind an MQTT user would pick for "exactly once through a
 * crash": a persistent session ({@code cleanSession=false}) with {@link
 * MqttDefaultFilePersistence} (or {@link MemoryPersistence} as the faster, non-durable row). Its
 * in-flight window is Paho's {@code maxInflight}; a semaphore of the same size keeps publish from
 * hitting Paho's "too many publishes in progress" error, so the window is always full.
 *
 * <p>With {@code --subscriber queue} (the default) a persistent subscriber at the same QoS is
 * registered and disconnected first, so the broker queues every record for it: without one,
 * mosquitto acknowledges a record and drops it, which is not a store. {@code --subscriber none}
 * measures that anyway.
 *
 * <pre>
 * java -cp ... dev.lifeline.bench.RecordsMqttBench --uri ssl://127.0.0.1:8883 --ca ca.pem \
 *     --qos 2 --records 20000 --inflight 65535 --persistence file --dir /tmp/paho
 * </pre>
 *
 * Prints one line, {@code result qos=2 persistence=file inflight=65535 records=20000 seconds=..
 * rate=..}, on standard output.
 */
public final class RecordsMqttBench {

  private RecordsMqttBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = options(args);
    String uri = opt.getOrDefault("uri", "ssl://127.0.0.1:8883");
    int qos = Integer.parseInt(opt.getOrDefault("qos", "1"));
    int records = Integer.parseInt(opt.getOrDefault("records", "20000"));
    int recordBytes = Integer.parseInt(opt.getOrDefault("record-bytes", "200"));
    int inflight = Integer.parseInt(opt.getOrDefault("inflight", "65535"));
    String persistence = opt.getOrDefault("persistence", "file");
    Path dir = Path.of(opt.getOrDefault("dir", "paho"));
    boolean queue = !"none".equals(opt.getOrDefault("subscriber", "queue"));
    SSLContext tls = tls(Path.of(opt.get("ca")));
    String run = Long.toString(System.nanoTime(), 36);
    String topic = "records/" + run;

    if (queue) {
      registerSubscriber(uri, tls, "sub-" + run, topic, qos);
    }
    Files.createDirectories(dir);
    MqttClientPersistence store = "file".equals(persistence)
        ? new MqttDefaultFilePersistence(dir.toString()) : new MemoryPersistence();
    MqttAsyncClient client = new MqttAsyncClient(uri, "pub-" + run, store);
    MqttConnectOptions o = connectOptions(tls);
    o.setMaxInflight(inflight);
    client.connect(o).waitForCompletion(30_000);

    double seconds = publish(client, topic, qos, records, recordBytes, inflight);
    client.disconnect().waitForCompletion(30_000);
    client.close();
    System.out.printf("result qos=%d persistence=%s inflight=%d subscriber=%s records=%d"
            + " seconds=%.3f rate=%.0f%n", qos, persistence, inflight, queue ? "queue" : "none",
        records, seconds, records / seconds);
  }

  /** Publishes records 1..n, at most {@code inflight} unacknowledged; seconds until all are. */
  private static double publish(MqttAsyncClient client, String topic, int qos, int n,
      int recordBytes, int inflight) throws Exception {
    Semaphore window = new Semaphore(inflight);
    CountDownLatch done = new CountDownLatch(n);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    IMqttActionListener acked = new IMqttActionListener() {
      @Override
      public void onSuccess(IMqttToken token) {
        window.release();
        done.countDown();
      }

      @Override
      public void onFailure(IMqttToken token, Throwable cause) {
        failure.compareAndSet(null, cause);
        window.release();
        done.countDown();
      }
    };
    long start = System.nanoTime();
    for (int i = 1; i <= n; i++) {
      window.acquire();
      client.publish(topic, record(i, recordBytes), qos, false, null, acked);
    }
    if (!done.await(30, TimeUnit.MINUTES)) {
      throw new IllegalStateException("not all records acknowledged: " + done.getCount() + " left");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (failure.get() != null) {
      throw new IllegalStateException("a publish failed", failure.get());
    }
    return seconds;
  }

  /** A persistent subscription the broker queues records for while its subscriber is away. */
  private static void registerSubscriber(String uri, SSLContext tls, String id, String topic,
      int qos) throws Exception {
    MqttAsyncClient sub = new MqttAsyncClient(uri, id, new MemoryPersistence());
    sub.connect(connectOptions(tls)).waitForCompletion(30_000);
    sub.subscribe(topic, qos).waitForCompletion(30_000);
    sub.disconnect().waitForCompletion(30_000);
    sub.close();
  }

  private static MqttConnectOptions connectOptions(SSLContext tls) {
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(false); // the session (and what is in flight) survives a restart
    o.setSocketFactory(tls.getSocketFactory());
    o.setHttpsHostnameVerificationEnabled(true);
    o.setKeepAliveInterval(60);
    o.setAutomaticReconnect(false);
    return o;
  }

  /** "000000123 " and filler: numbered like the shipper's lines. */
  static byte[] record(int i, int bytes) {
    ByteBuffer b = ByteBuffer.allocate(bytes);
    byte[] head = String.format("%09d ", i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    b.put(head, 0, Math.min(head.length, bytes));
    while (b.hasRemaining()) {
      b.put((byte) 'x');
    }
    return b.array();
  }

  private static SSLContext tls(Path caPem) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
          .generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(
        TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  static Map<String, String> options(String[] args) {
    Map<String, String> opt = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("option expected: " + args[i]);
      }
      opt.put(args[i].substring(2), args[i + 1]);
    }
    return opt;
  }
}
