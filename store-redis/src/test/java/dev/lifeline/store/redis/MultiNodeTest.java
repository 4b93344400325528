package dev.lifeline.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.HandshakeEvent.Side;
import dev.lifeline.HandshakeStats;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.TicketKey;
import dev.lifeline.TicketKeyStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.store.MutableClock;
import dev.lifeline.store.redis.testing.AlternatingProxy;
import dev.lifeline.store.redis.testing.RedisServer;
import dev.lifeline.testing.Chaos;
import dev.lifeline.testing.ChaosSpec;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.FileTransferServer;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two server nodes sharing one real Redis and one files directory, behind a proxy that sends every
 * new connection to the other node: an upload cut several times moves between the nodes, resumes
 * TLS with the shared ticket keys and its session from the shared store, and completes intact;
 * also while the ticket keys rotate and while Redis restarts.
 */
class MultiNodeTest {
  @TempDir Path dir;

  RedisServer redis;
  Node a;
  Node b;
  AlternatingProxy proxy;

  /**
   * Both nodes' clock. It moves only when a test moves it, so a rotated ticket key starts
   * encrypting when the test says so, after every node has read it, and not when a node that a
   * loaded machine starved is late to re-read the shared ring.
   */
  final MutableClock clock = new MutableClock(System.currentTimeMillis());

  /** One server node: its own store connection, its own server, the shared files directory. */
  final class Node implements AutoCloseable {
    final RedisCheckpointStore store;
    final RecordingKeyStore keys;
    final LifelineServer server;
    final HandshakeStats handshakes = new HandshakeStats();

    Node(String name) throws IOException {
      store = RedisCheckpointStore.builder(redis.uri())
          .nodeId(name)
          .ttl(Duration.ofHours(1))
          .timeout(Duration.ofSeconds(5))
          .retryFor(Duration.ofSeconds(1))
          .ticketKeyRefresh(Duration.ofMillis(200))
          .build();
      keys = new RecordingKeyStore(store.ticketKeyStore());
      FileTransferServer files = FileTransferServer.builder(dir.resolve("files"))
          .checkpointEvery(256 << 10, Duration.ofMillis(100))
          .build();
      server = LifelineServer.builder()
          .tls(ServerTlsConfig.builder()
              .developmentCertificates(dir.resolve("tls"))
              .ticketKeyStore(keys)
              .build())
          .store(store)
          .handler(files.handler())
          .onSessionExpired(files::sessionExpired)
          .handshakeListener(handshakes)
          .idleTimeout(Duration.ofSeconds(2))
          .sweepInterval(Duration.ofSeconds(1))
          .clock(clock)
          .start();
      assertTrue(server.tlsProvider().startsWith("OpenSSL"),
          "tickets are shared through the ring only with the OpenSSL provider: "
              + server.tlsProvider());
    }

    @Override
    public void close() {
      server.close();
      store.close();
    }
  }

  /**
   * A node's view of the shared ticket key ring: what each of its re-reads returned. A node runs
   * one re-read at a time and applies it before the next, so once two of them returned a key,
   * the node has applied a ring that holds it.
   */
  static final class RecordingKeyStore implements TicketKeyStore {
    private final TicketKeyStore delegate;
    private final List<List<TicketKey>> loads = new CopyOnWriteArrayList<>();

    RecordingKeyStore(TicketKeyStore delegate) {
      this.delegate = delegate;
    }

    /** Whether this node applied a ring holding {@code key} read after its first {@code since}. */
    boolean applied(TicketKey key, int since) {
      return loads.stream().skip(since).filter(ring -> ring.contains(key)).count() >= 2;
    }

    int reads() {
      return loads.size();
    }

    @Override
    public List<TicketKey> load() throws IOException {
      List<TicketKey> ring = delegate.load();
      loads.add(ring);
      return ring;
    }

    @Override
    public void save(List<TicketKey> ring) throws IOException {
      delegate.save(ring);
    }

    @Override
    public boolean replace(List<TicketKey> expected, List<TicketKey> ring) throws IOException {
      return delegate.replace(expected, ring);
    }

    @Override
    public Duration refreshInterval() {
      return delegate.refreshInterval();
    }
  }

  @BeforeEach
  void start() throws IOException {
    redis = RedisServer.start(dir.resolve("redis"));
    a = new Node("node-a");
    b = new Node("node-b");
    proxy = AlternatingProxy.start(a.server.port(), b.server.port());
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    for (Node n : new Node[] {a, b}) {
      if (n != null) {
        n.close();
      }
    }
    if (redis != null) {
      redis.close();
    }
  }

  LifelineClient client(String chaos) throws IOException {
    LifelineClient.Builder builder = LifelineClient.builder()
        .server("localhost", proxy.port())
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem")).build())
        .store(InMemoryCheckpointStore.builder().build())
        .idleTimeout(Duration.ofSeconds(2))
        .replayBufferBytes(4 << 20)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60));
    if (chaos != null) {
      Chaos.of(ChaosSpec.parse(chaos), 11).install(builder);
    }
    return builder.build();
  }

  @Test
  @Timeout(180)
  void uploadMovesBetweenNodesAcrossCutsWithTlsResumedAndKeysRotating() throws Exception {
    Path src = randomFile("src.bin", 24 << 20);
    AtomicLong progress = new AtomicLong();
    CountDownLatch rotated = new CountDownLatch(1);
    try (LifelineClient client = client("cut=1M..3M,mode=rst,count=8")) {
      FileTransferClient t = new FileTransferClient(client, "localhost:" + proxy.port());
      // The upload holds still past 8 MiB while the keys rotate and the client moves under the
      // new key, so all of that happens mid-transfer however fast the machine is.
      CompletableFuture<TransferResult> up = inBackground(t, src, "moved.bin", done -> {
        progress.set(done);
        if (done > 8 << 20) {
          awaitUninterruptibly(rotated);
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> progress.get() > 8 << 20);
      // Rotate the shared ticket keys mid-upload. The new key only decrypts until the clock
      // passes its activation (three refresh intervals); the clock moves only once both nodes
      // have read the key, as the ring assumes, and then both switch at their next re-read.
      try {
        a.server.rotateTicketKeys();
        TicketKey fresh = a.store.ticketKeyStore().load().get(0);
        awaitApplied(fresh, 0, 0);
        clock.advance(Duration.ofSeconds(1));
        // A ring read after this point is applied at the new time: the new key encrypts.
        awaitApplied(fresh, a.keys.reads(), b.keys.reads());
        // Two moves, whatever the random cuts do: the first fetches a ticket under the new key
        // from one node, the second presents it to the other.
        for (int move = 1; move <= 2; move++) {
          long before = serverHandshakes();
          String from = attachedFrom();
          proxy.resetAll();
          Awaitility.await("move " + move + " to the other node").atMost(Duration.ofSeconds(60))
              .until(() -> serverHandshakes() > before
                  && !attachedFrom().isEmpty() && !attachedFrom().equals(from));
        }
      } finally {
        rotated.countDown();
      }
      TransferResult r = up.get(120, TimeUnit.SECONDS);

      assertEquals(sha(src), r.sha256());
      assertEquals(sha(src), sha(dir.resolve("files/moved.bin")));
      assertTrue(r.reconnects() >= 6, "the upload was cut and reconnected: " + r);
      assertTrue(proxy.accepted(0) >= 3 && proxy.accepted(1) >= 3,
          "both nodes served it: " + proxy.accepted(0) + " / " + proxy.accepted(1));
      assertTrue(r.tlsFull() <= 1 && r.tlsResumed() >= r.reconnects(),
          "every reconnect resumed TLS, even across the rotation: " + r);
      assertEquals(1, a.handshakes.snapshot().full(Side.SERVER)
          + b.handshakes.snapshot().full(Side.SERVER),
          "the nodes made one full handshake in all: " + a.handshakes + " / " + b.handshakes);
      assertTrue(a.handshakes.snapshot().resumed(Side.SERVER) > 0
          && b.handshakes.snapshot().resumed(Side.SERVER) > 0,
          "each node resumed tickets: " + a.handshakes + " / " + b.handshakes);
      assertEquals(2, a.store.ticketKeyStore().load().size(), "one shared ring, rotated once");
    }
  }

  @Test
  @Timeout(180)
  void uploadSurvivesARedisRestartMidTransfer() throws Exception {
    Path src = randomFile("src.bin", 16 << 20);
    AtomicLong progress = new AtomicLong();
    CountDownLatch redisKilled = new CountDownLatch(1);
    CountDownLatch recoveryChecked = new CountDownLatch(1);
    try (LifelineClient client = client(null)) {
      FileTransferClient t = new FileTransferClient(client, "localhost:" + proxy.port());
      // The upload holds still past 6 MiB until Redis is down: however fast the machine, the
      // crash lands mid-transfer (an upload left running could finish in the poll interval).
      // It holds again past 14 MiB (6 MiB plus what the replay buffers can run ahead) until the
      // other node has read the session back from the restarted Redis: an upload that finished
      // first would have removed the record that check reads.
      CompletableFuture<TransferResult> up = inBackground(t, src, "redis.bin", done -> {
        progress.set(done);
        if (done > 6 << 20) {
          awaitUninterruptibly(redisKilled);
        }
        if (done > 14 << 20) {
          awaitUninterruptibly(recoveryChecked);
        }
      });
      String id;
      long acked;
      long recovered;
      boolean stillRunning;
      try {
        // Past the client's 4 MiB replay buffer: some checkpoints were acknowledged, so durable.
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> progress.get() > 6 << 20);
        id = a.store.ids().join().get(0);
        acked = a.store.load(id).join().orElseThrow().checkpoint().position();
        assertTrue(acked > 0, "a checkpoint was stored before the crash");
        redis.kill(); // a crash: only what Redis fsynced (and so acknowledged) survives
        long stalled = progress.get();
        redisKilled.countDown();
        Thread.sleep(3000); // longer than the stores retry: checkpoints fail, nothing is acked
        assertTrue(progress.get() - stalled <= 8 << 20,
            "no more than the replay buffers can run ahead without acknowledgements");
        redis.start();
        // Move the client to the other node at once: once Redis is back the rest of a 16 MiB
        // upload can finish within the wait below, before a later reset would land.
        stillRunning = !up.isDone();
        proxy.resetAll();
        recovered = Awaitility.await("node b reconnected to Redis")
            .atMost(Duration.ofSeconds(20)).ignoreExceptions()
            .until(() -> b.store.load(id).join().orElseThrow().checkpoint().position(), p -> true);
      } finally {
        redisKilled.countDown(); // a failed step must not leave the upload held
        recoveryChecked.countDown();
      }
      assertTrue(recovered >= acked, "the acknowledged checkpoint " + acked
          + " survived the SIGKILL of Redis (found " + recovered + ")");
      TransferResult r = up.get(120, TimeUnit.SECONDS);
      assertEquals(sha(src), r.sha256());
      assertEquals(sha(src), sha(dir.resolve("files/redis.bin")));
      assertTrue(stillRunning, "the upload was still running when the client was moved: " + r);
      assertTrue(r.reconnects() >= 1, r.toString());
    }
  }

  /** TLS handshakes the nodes completed, full or resumed. */
  long serverHandshakes() {
    long n = 0;
    for (Node node : new Node[] {a, b}) {
      HandshakeStats.Snapshot s = node.handshakes.snapshot();
      n += s.full(Side.SERVER) + s.resumed(Side.SERVER);
    }
    return n;
  }

  /** Where the connection the session is attached to comes from; empty while there is none. */
  String attachedFrom() {
    return java.util.stream.Stream.concat(a.server.sessions().stream(),
            b.server.sessions().stream())
        .filter(i -> i.connected()).map(i -> i.remoteAddress()).findFirst().orElse("");
  }

  /** Waits until each node applied a ring holding {@code key} read after the given reads. */
  void awaitApplied(TicketKey key, int sinceA, int sinceB) {
    Awaitility.await("node-a applied the rotated ticket key").atMost(Duration.ofSeconds(30))
        .until(() -> a.keys.applied(key, sinceA));
    Awaitility.await("node-b applied the rotated ticket key").atMost(Duration.ofSeconds(30))
        .until(() -> b.keys.applied(key, sinceB));
  }

  /** Uploads on another thread; {@code progress} runs on the uploading one, so it can hold it. */
  static CompletableFuture<TransferResult> inBackground(FileTransferClient t, Path src,
      String name, LongConsumer progress) {
    TransferListener listener = new TransferListener() {
      @Override
      public void progress(long done) {
        progress.accept(done);
      }
    };
    return CompletableFuture.supplyAsync(() -> {
      try {
        return t.upload(src, name, listener);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
  }

  static void awaitUninterruptibly(CountDownLatch latch) {
    try {
      if (!latch.await(2, TimeUnit.MINUTES)) {
        throw new IllegalStateException("never released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Path randomFile(String name, int bytes) throws IOException {
    byte[] data = new byte[bytes];
    new Random(bytes).nextBytes(data);
    Path p = dir.resolve(name);
    Files.write(p, data);
    return p;
  }

  static String sha(Path p) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(p)));
  }
}
