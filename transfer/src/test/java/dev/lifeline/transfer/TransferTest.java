package dev.lifeline.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.testing.Chaos;
import dev.lifeline.testing.ChaosSpec;
import dev.lifeline.testing.FaultProxy;
import java.nio.ByteBuffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upload and download on real TLS over loopback, with cuts and restarts of either side. */
class TransferTest {
  @TempDir Path dir;

  CheckpointStore serverStore;
  CheckpointStore clientStore;
  LifelineServer server;
  FileTransferServer files;
  int port;
  /** Wraps the server's transfer handler, for tests that act when a message arrives. */
  java.util.function.UnaryOperator<SessionHandler> wrapHandler = h -> h;
  /** Where uploads continued on the server, as {@link #recording} saw it. */
  final java.util.List<Long> uploadContinuedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** The offsets of the DOWNLOAD requests the server received, as {@link #recording} saw it. */
  final java.util.List<Long> downloadRequests = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    serverStore = InMemoryCheckpointStore.builder().build();
    clientStore = InMemoryCheckpointStore.builder().build();
    startServer();
  }

  void startServer() throws IOException {
    files = FileTransferServer.builder(dir.resolve("data/files"))
        .checkpointEvery(1 << 20, Duration.ofMillis(200)).build();
    server = LifelineServer.builder()
        .port(port)
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("data/tls")).build())
        .store(serverStore)
        .handler(wrapHandler.apply(files.handler()))
        .idleTimeout(Duration.ofSeconds(1))
        .start();
    port = server.port();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  LifelineClient client(String chaos) throws IOException {
    LifelineClient.Builder b = LifelineClient.builder()
        .server("localhost", port)
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("data/tls/ca.pem")).build())
        .store(clientStore)
        .idleTimeout(Duration.ofSeconds(1))
        .replayBufferBytes(8 << 20)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60));
    if (chaos != null) {
      Chaos.of(ChaosSpec.parse(chaos), 7).install(b);
    }
    return b.build();
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

  String server() {
    return "localhost:" + port;
  }

  /** What a transfer call does, run on another thread so the test can break things meanwhile. */
  interface Transfer {
    TransferResult run(TransferListener progress) throws Exception;
  }

  /** Waits for a latch a test releases in a finally block; bounded so a lost release fails. */
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

  /** What a test transfers with the client it then kills. */
  interface ClientTransfer {
    TransferResult run(FileTransferClient transfer, TransferListener progress) throws Exception;
  }

  /**
   * Runs a transfer with a client of its own, holds it past 20 MiB, closes that client there
   * (a killed client process, its store left as it was) and checks the transfer failed.
   */
  void killClientPast20MiB(ClientTransfer transfer) throws Exception {
    AtomicLong progress = new AtomicLong();
    CountDownLatch killed = new CountDownLatch(1);
    LifelineClient first = client(null);
    CompletableFuture<TransferResult> run = inBackground(
        l -> transfer.run(new FileTransferClient(first, server()), l), progress, 20 << 20, killed);
    try {
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> progress.get() > 20 << 20);
      first.close();
    } finally {
      killed.countDown();
    }
    assertThrows(Exception.class, () -> run.get(30, TimeUnit.SECONDS));
  }

  static CompletableFuture<TransferResult> inBackground(Transfer transfer, AtomicLong progress) {
    return inBackground(transfer, progress, Long.MAX_VALUE, new CountDownLatch(0));
  }

  /**
   * Runs a transfer that holds still once it has moved more than {@code holdPast} bytes, until
   * {@code released}: a test that kills or restarts something mid-transfer holds it there, since
   * on a fast machine the rest of the file can arrive between noticing the progress and the fault
   * (a 48 MiB download did, in a fresh-clone run). Release it in a finally block.
   */
  static CompletableFuture<TransferResult> inBackground(Transfer transfer, AtomicLong progress,
      long holdPast, CountDownLatch released) {
    TransferListener listener = new TransferListener() {
      @Override
      public void progress(long done) {
        progress.set(done);
        if (done > holdPast) {
          awaitUninterruptibly(released);
        }
      }
    };
    return CompletableFuture.supplyAsync(() -> {
      try {
        return transfer.run(listener);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
  }

  /**
   * A client whose replay buffer is smaller than the server's checkpoint interval stops sending
   * until acknowledged; the server's time-based checkpoint must fire without a chunk arriving
   * (it used to wait for one forever).
   */
  @Test
  void uploadWithAReplayBufferSmallerThanACheckpointIntervalCompletes() throws Exception {
    server.close();
    files = FileTransferServer.builder(dir.resolve("data/files"))
        .checkpointEvery(64 << 20, Duration.ofMillis(300)).build();
    server = LifelineServer.builder()
        .port(port)
        .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("data/tls")).build())
        .store(serverStore)
        .handler(files.handler())
        .start();
    Path src = randomFile("small-window.bin", 6 << 20);
    try (LifelineClient client = LifelineClient.builder()
        .server("localhost", port)
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("data/tls/ca.pem")).build())
        .store(clientStore)
        .replayBufferBytes(1 << 20)
        .build()) {
      FileTransferClient t = new FileTransferClient(client, server());
      TransferResult up = CompletableFuture.supplyAsync(() -> {
        try {
          return t.upload(src, "small-window.bin", TransferListener.NONE);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }).get(60, TimeUnit.SECONDS);
      assertEquals(sha(src), up.sha256());
      assertEquals(sha(src), sha(dir.resolve("data/files/small-window.bin")));
    }
  }

  @Test
  void uploadAndDownloadSurviveCutsOfEveryKind() throws Exception {
    Path src = randomFile("src.bin", 24 << 20);
    try (LifelineClient client = client("cut=1M..6M,mode=mix,count=8")) {
      FileTransferClient t = new FileTransferClient(client, server());
      TransferResult up = t.upload(src, "a.bin", TransferListener.NONE);
      assertEquals(sha(src), up.sha256());
      assertEquals(sha(src), sha(dir.resolve("data/files/a.bin")));
      Path back = dir.resolve("back.bin");
      TransferResult down = t.download("a.bin", back, TransferListener.NONE);
      assertEquals(sha(src), down.sha256());
      assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(back));
      assertTrue(up.reconnects() + down.reconnects() >= 4, up + " " + down);
      assertTrue(up.tlsResumed() > 0, up.toString());
    }
  }

  @Test
  void uploadContinuesAfterServerRestartFromItsCheckpoint() throws Exception {
    Path src = randomFile("src.bin", 48 << 20);
    // The sender stops after 16 MiB until the server has restarted: on a fast machine the whole
    // upload can otherwise end between two looks at its progress, and a restart after the end
    // proves nothing.
    CountDownLatch reached = new CountDownLatch(1);
    CountDownLatch restarted = new CountDownLatch(1);
    AtomicLong lowestAfterRestart = new AtomicLong(Long.MAX_VALUE);
    TransferListener pausing = new TransferListener() {
      @Override
      public void progress(long done) {
        if (restarted.getCount() == 0) {
          lowestAfterRestart.accumulateAndGet(done, Math::min);
        }
        if (done > 16 << 20 && reached.getCount() > 0) {
          reached.countDown();
          try {
            restarted.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
    try (LifelineClient client = client(null)) {
      FileTransferClient t = new FileTransferClient(client, server());
      CompletableFuture<TransferResult> up = CompletableFuture.supplyAsync(() -> {
        try {
          return t.upload(src, "r.bin", pausing);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      assertTrue(reached.await(30, TimeUnit.SECONDS), "the upload never passed 16 MiB");
      // The server's own progress, not the client's: the client can have 16 MiB in its buffers
      // and the sockets before a slow server wrote the first; with a checkpoint every 1 MiB, 4
      // MiB written means a checkpoint committed well before the restart.
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
          files.activeTransfers().stream().anyMatch(p -> p.done() > 4 << 20));
      server.close();
      wrapHandler = this::recording;
      startServer();
      restarted.countDown();
      TransferResult r = up.get(60, TimeUnit.SECONDS);
      assertEquals(sha(src), r.sha256());
      assertEquals(sha(src), sha(dir.resolve("data/files/r.bin")));
      // Continued: the session resumed at the server's checkpoint and replayed what the server
      // had not stored, so the file offset never went back. Started over, the upload would have
      // rewound to 0 and reported its progress from the start again.
      assertTrue(lowestAfterRestart.get() > 16 << 20 && lowestAfterRestart.get() < Long.MAX_VALUE
          && r.resentBytes() < (32 << 20),
          "continued from the server's checkpoint, not from zero: lowest offset after the "
              + "restart " + lowestAfterRestart.get() + ", " + r);
      // The summary says where: the client replayed from memory and never rewound, so only the
      // server knew (the summary said 0 before the server told it with CONTINUING).
      assertEquals(1, uploadContinuedAt.size(), "continued once: " + uploadContinuedAt);
      assertTrue(r.resumedFromOffset() > 0, r.toString());
      assertEquals(uploadContinuedAt.get(0), r.resumedFromOffset(), r.toString());
    }
  }

  /**
   * The server stores an upload and answers DONE, but the answer is lost (the connection goes
   * silent) and the server restarts before the client saw it: the restarted server has no replay
   * buffer, and the client has nothing left to send. The restarted server must answer again (the
   * soak test found clients waiting for that DONE forever).
   */
  @Test
  void uploadCompletesWhenTheServerRestartsBeforeItsAnswerArrived() throws Exception {
    Path src = randomFile("src.bin", 3 << 20);
    try (FaultProxy proxy = FaultProxy.start("localhost", port)) {
      server.close();
      wrapHandler = h -> silencedAtEnd(h, proxy, new AtomicLong());
      startServer();
      try (LifelineClient client = clientVia(proxy)) {
        FileTransferClient t = new FileTransferClient(client, "localhost:" + proxy.port());
        CompletableFuture<TransferResult> up =
            inBackground(l -> t.upload(src, "late-answer.bin", l), new AtomicLong());
        Path stored = dir.resolve("data/files/late-answer.bin");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(stored));
        server.close();
        wrapHandler = h -> h;
        startServer();
        TransferResult r = up.get(30, TimeUnit.SECONDS);
        assertEquals(sha(src), r.sha256());
        assertEquals(sha(src), sha(stored));
        assertTrue(r.reconnects() >= 1, r.toString());
      }
    }
  }

  /**
   * The server verified and renamed an upload into place, but died before its "done" checkpoint
   * was durable (or another node took the session in that moment): after the restart the store
   * says the upload is at its previous checkpoint while the partial file is gone. The client
   * replays from that checkpoint; the server must recognise the stored file and answer DONE,
   * not fail with a missing partial file or a file that "exists".
   */
  @Test
  void uploadCompletesWhenTheServerDiedBetweenStoringAndCheckpointingIt() throws Exception {
    Path src = randomFile("src.bin", 5 << 20);
    AtomicLong endSeq = new AtomicLong(-1);
    CheckpointStore durable = serverStore;
    try (FaultProxy proxy = FaultProxy.start("localhost", port)) {
      server.close();
      // The "done" checkpoint (at END's sequence) never completes: the process died first.
      serverStore = new ForwardingStore(durable) {
        @Override
        public CompletableFuture<Void> commit(String id, Checkpoint checkpoint) {
          return checkpoint.position() == endSeq.get() ? new CompletableFuture<>()
              : super.commit(id, checkpoint);
        }
      };
      wrapHandler = h -> silencedAtEnd(h, proxy, endSeq);
      startServer();
      try (LifelineClient client = clientVia(proxy)) {
        FileTransferClient t = new FileTransferClient(client, "localhost:" + proxy.port());
        CompletableFuture<TransferResult> up =
            inBackground(l -> t.upload(src, "stored-early.bin", l), new AtomicLong());
        Path stored = dir.resolve("data/files/stored-early.bin");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(stored));
        server.close();
        serverStore = durable;
        wrapHandler = h -> h;
        startServer();
        TransferResult r = up.get(30, TimeUnit.SECONDS);
        assertEquals(sha(src), r.sha256());
        assertEquals(sha(src), sha(stored));
        try (var partials = Files.list(dir.resolve("data/files/.partial"))) {
          assertEquals(0, partials.count(), "no partial file left behind");
        }
      }
    }
  }

  /**
   * The server's handler, except that when an upload's END arrives (its sequence goes to {@code
   * endSeq}) every connection through {@code proxy} goes silent first: the answer will not get out.
   */
  static SessionHandler silencedAtEnd(SessionHandler h, FaultProxy proxy, AtomicLong endSeq) {
    return new Delegating(h) {
      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
        if (message.get(message.position()) == 0x04) { // END
          endSeq.set(seq);
          proxy.blackholeAll();
        }
        super.onMessage(session, seq, message);
      }
    };
  }

  /** A client of this test's server through {@code proxy}, quick to notice a silent connection. */
  LifelineClient clientVia(FaultProxy proxy) throws IOException {
    return LifelineClient.builder()
        .server("localhost", proxy.port())
        .tls(ClientTlsConfig.builder().trustedCa(dir.resolve("data/tls/ca.pem")).build())
        .store(clientStore)
        .idleTimeout(Duration.ofSeconds(1))
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofSeconds(60))
        .build();
  }

  /** Delegates every call to another store; tests override the ones they break. */
  static class ForwardingStore implements CheckpointStore {
    private final CheckpointStore s;

    ForwardingStore(CheckpointStore s) {
      this.s = s;
    }

    @Override
    public CompletableFuture<Void> put(dev.lifeline.store.SessionRecord record) {
      return s.put(record);
    }

    @Override
    public CompletableFuture<Void> commit(String id, Checkpoint checkpoint) {
      return s.commit(id, checkpoint);
    }

    @Override
    public CompletableFuture<java.util.Optional<dev.lifeline.store.SessionRecord>> load(
        String id) {
      return s.load(id);
    }

    @Override
    public CompletableFuture<Void> delete(String id) {
      return s.delete(id);
    }

    @Override
    public CompletableFuture<java.util.List<String>> ids() {
      return s.ids();
    }

    @Override
    public CompletableFuture<java.util.List<String>> sweepExpired() {
      return s.sweepExpired();
    }

    @Override
    public void close() {
      s.close();
    }
  }

  /** Forwards every callback; tests override the ones they watch. */
  static class Delegating implements SessionHandler {
    private final SessionHandler h;

    Delegating(SessionHandler h) {
      this.h = h;
    }

    @Override
    public void onOpen(Session session) {
      h.onOpen(session);
    }

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
      h.onMessage(session, seq, message);
    }

    @Override
    public void onInboundRewind(Session session, Checkpoint checkpoint) {
      h.onInboundRewind(session, checkpoint);
    }

    @Override
    public void onOutboundRewind(Session session, Checkpoint checkpoint) {
      h.onOutboundRewind(session, checkpoint);
    }

    @Override
    public void onDisconnected(Session session, Throwable cause) {
      h.onDisconnected(session, cause);
    }

    @Override
    public void onResumed(Session session) {
      h.onResumed(session);
    }

    @Override
    public void onClosed(Session session, Throwable cause) {
      h.onClosed(session, cause);
    }
  }

  /**
   * A download re-run in a new client process (the session restored from the client's store,
   * its outbound stream rewound) asks for the rest of the file once. The first request and the
   * rewind's handler used to send one each, and the server sent the rest of the file twice: a
   * waste, and a connection still busy when the client closed.
   */
  @Test
  void downloadContinuesInANewClientProcessAskingOnce() throws Exception {
    java.util.List<Long> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
    wrapHandler = h -> new Delegating(h) {
      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
        if (message.get(message.position()) == 0x02) { // DOWNLOAD
          requests.add(message.getLong(message.position() + 1));
        }
        super.onMessage(session, seq, message);
      }
    };
    server.close();
    startServer();
    Path src = randomFile("src.bin", 48 << 20);
    Files.copy(src, dir.resolve("data/files/e.bin"));
    Path back = dir.resolve("e-back.bin");
    killClientPast20MiB((t, l) -> t.download("e.bin", back, l));
    assertEquals(1, requests.size(), "requests of the first run: " + requests);
    requests.clear();
    try (LifelineClient second = client(null)) {
      TransferResult r = new FileTransferClient(second, server()).download("e.bin", back,
          TransferListener.NONE);
      assertEquals(sha(src), r.sha256());
      assertTrue(r.resumedFromOffset() > 0, r.toString());
      assertEquals(1, requests.size(), "DOWNLOAD requests of the re-run (offsets): " + requests);
      assertTrue(requests.get(0) >= r.resumedFromOffset(), requests + " " + r);
    }
    assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(back));
  }

  @Test
  void uploadContinuesInANewClientProcessWithTheSameStore() throws Exception {
    server.close();
    wrapHandler = this::recording;
    startServer();
    Path src = randomFile("src.bin", 48 << 20);
    killClientPast20MiB((t, l) -> t.upload(src, "c.bin", l));
    try (LifelineClient second = client(null)) {
      TransferResult r = new FileTransferClient(second, server()).upload(src, "c.bin",
          TransferListener.NONE);
      assertEquals(sha(src), r.sha256());
      assertTrue(r.resumedFromOffset() > 0, r.toString());
      assertEquals(java.util.List.of(r.resumedFromOffset()), uploadContinuedAt, r.toString());
      assertEquals(sha(src), sha(dir.resolve("data/files/c.bin")));
    }
  }

  /** Client killed, then the server restarted too: each side continues from its store. */
  @Test
  void uploadContinuesWhenBothSidesRestarted() throws Exception {
    Path src = randomFile("src.bin", 48 << 20);
    killClientPast20MiB((t, l) -> t.upload(src, "both.bin", l));
    server.close();
    wrapHandler = this::recording;
    startServer();
    try (LifelineClient second = client(null)) {
      TransferResult r = new FileTransferClient(second, server()).upload(src, "both.bin",
          TransferListener.NONE);
      assertEquals(sha(src), r.sha256());
      assertTrue(r.resumedFromOffset() > 0, r.toString());
      assertEquals(java.util.List.of(r.resumedFromOffset()), uploadContinuedAt, r.toString());
      assertEquals(sha(src), sha(dir.resolve("data/files/both.bin")));
    }
  }

  /** Client killed, then the server restarted too: the client continues from its checkpoint. */
  @Test
  void downloadContinuesWhenBothSidesRestarted() throws Exception {
    Path src = randomFile("src.bin", 48 << 20);
    Files.copy(src, dir.resolve("data/files/both.bin"));
    Path back = dir.resolve("both-back.bin");
    killClientPast20MiB((t, l) -> t.download("both.bin", back, l));
    server.close();
    wrapHandler = this::recording;
    startServer();
    try (LifelineClient second = client(null)) {
      TransferResult r = new FileTransferClient(second, server()).download("both.bin", back,
          TransferListener.NONE);
      assertEquals(sha(src), r.sha256());
      assertTrue(r.resumedFromOffset() > 0, r.toString());
      assertEquals(java.util.List.of(r.resumedFromOffset()), downloadRequests, r.toString());
    }
    assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(back));
    assertFalse(Files.exists(dir.resolve("both-back.bin.part")));
  }

  /**
   * The server's handler, recording where transfers continue: the offset of an upload's first
   * CHUNK after the server's inbound stream rewound (the server restarted, or the client came
   * back from a restart) in {@link #uploadContinuedAt}, and each DOWNLOAD request's offset in
   * {@link #downloadRequests}.
   */
  SessionHandler recording(SessionHandler h) {
    return new Delegating(h) {
      private volatile boolean rewound;

      @Override
      public void onInboundRewind(Session session, Checkpoint checkpoint) {
        rewound = true;
        super.onInboundRewind(session, checkpoint);
      }

      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) throws Exception {
        byte type = message.get(message.position());
        if (type == 0x03 && rewound) { // CHUNK
          rewound = false;
          uploadContinuedAt.add(message.getLong(message.position() + 1));
        } else if (type == 0x02) { // DOWNLOAD
          downloadRequests.add(message.getLong(message.position() + 1));
        }
        super.onMessage(session, seq, message);
      }
    };
  }

  @Test
  void downloadContinuesAfterServerRestart() throws Exception {
    downloadSurvivesServerRestart("d.bin", true);
  }

  /** Without fsync a download still survives a server restart and ends verified and renamed. */
  @Test
  void downloadWithoutFsyncContinuesAfterServerRestart() throws Exception {
    downloadSurvivesServerRestart("e.bin", false);
  }

  private void downloadSurvivesServerRestart(String name, boolean fsync) throws Exception {
    Path src = randomFile("src.bin", 48 << 20);
    Files.copy(src, dir.resolve("data/files/" + name));
    AtomicLong progress = new AtomicLong();
    CountDownLatch restarted = new CountDownLatch(1);
    try (LifelineClient client = client(null)) {
      FileTransferClient t = new FileTransferClient(client, server()).withDownloadFsync(fsync);
      Path back = dir.resolve(name + ".back");
      CompletableFuture<TransferResult> down =
          inBackground(l -> t.download(name, back, l), progress, 16 << 20, restarted);
      try {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> progress.get() > 16 << 20);
        server.close();
        wrapHandler = this::recording;
        startServer();
      } finally {
        restarted.countDown();
      }
      TransferResult r = down.get(60, TimeUnit.SECONDS);
      assertEquals(sha(src), r.sha256());
      assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(back));
      assertFalse(Files.exists(dir.resolve(name + ".back.part")));
      // The restarted server sent from where the client asked: its checkpoint, in the summary.
      // Asked once; twice when the client's checkpoint crossed the server's rewind (the first
      // request then went out before the part file was cut back to that checkpoint).
      assertTrue(downloadRequests.size() == 1 || downloadRequests.size() == 2,
          "asked once: " + downloadRequests);
      assertTrue(r.resumedFromOffset() > 0, r.toString());
      assertEquals(downloadRequests.get(downloadRequests.size() - 1), r.resumedFromOffset(),
          r.toString());
    }
  }

  /**
   * The client's checkpoint crosses the restarted server's rewind: its RESUME names the last
   * checkpoint that had landed, and the next one (its part file synced, the commit slow) lands
   * right after the server rewound to the older one. The client then drops the restarted
   * stream's messages up to the newer checkpoint as covered, so the server must number its
   * answer past it (PAD). Before that fix the META and first chunks of the answer were dropped
   * and the download stalled: about 1 run in 10 of downloadContinuesAfterServerRestart under
   * load, every run here. The commits are held by the test, released when the restarted server
   * rewinds its stream.
   */
  @Test
  void downloadContinuesWhenItsCheckpointLandsAfterTheServerRewound() throws Exception {
    Path src = randomFile("crossing.bin", 48 << 20);
    Files.copy(src, dir.resolve("data/files/crossing.bin"));
    CompletableFuture<Void> release = new CompletableFuture<>();
    CountDownLatch holding = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
    clientStore = new ForwardingStore(clientStore) {
      @Override
      public CompletableFuture<Void> commit(String id, Checkpoint checkpoint) {
        if (!armed.get()) {
          return super.commit(id, checkpoint);
        }
        holding.countDown();
        return release.thenCompose(v -> super.commit(id, checkpoint));
      }
    };
    AtomicLong progress = new AtomicLong();
    try (LifelineClient client = client(null)) {
      FileTransferClient t = new FileTransferClient(client, server());
      Path back = dir.resolve("crossing.back");
      TransferListener listener = new TransferListener() {
        @Override
        public void progress(long done) {
          progress.set(done);
          if (done > 16 << 20) {
            armed.set(true);
          }
        }
      };
      CompletableFuture<TransferResult> down = CompletableFuture.supplyAsync(() -> {
        try {
          return t.download("crossing.bin", back, listener);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      assertTrue(holding.await(30, TimeUnit.SECONDS), "no checkpoint after 16 MiB");
      server.close();
      wrapHandler = h -> new Delegating(recording(h)) {
        @Override
        public void onOutboundRewind(Session session, Checkpoint checkpoint) {
          super.onOutboundRewind(session, checkpoint);
          release.complete(null); // the client's RESUME named the older checkpoint
        }
      };
      startServer();
      TransferResult r = down.get(60, TimeUnit.SECONDS);
      assertTrue(release.isDone());
      assertEquals(sha(src), r.sha256());
      assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(back));
      assertFalse(Files.exists(dir.resolve("crossing.back.part")));
    }
  }

  @Test
  void refusesHostileNamesAndExistingFiles() throws Exception {
    Path src = randomFile("small.bin", 1000);
    try (LifelineClient client = client(null)) {
      FileTransferClient t = new FileTransferClient(client, server());
      for (String bad : new String[] {"../x", "/etc/passwd", "", "a\u0001b", ".hidden",
          "x".repeat(300), "a/b", "..", " lead"}) {
        TransferException e = assertThrows(TransferException.class,
            () -> t.upload(src, bad, TransferListener.NONE), bad);
        assertEquals(TransferException.Reason.INVALID_NAME, e.reason(), e.getMessage());
      }
      t.upload(src, "once.bin", TransferListener.NONE);
      TransferException e = assertThrows(TransferException.class,
          () -> t.upload(src, "once.bin", TransferListener.NONE));
      assertEquals(TransferException.Reason.EXISTS, e.reason());
      TransferException missing = assertThrows(TransferException.class,
          () -> t.download("nope.bin", dir.resolve("n"), TransferListener.NONE));
      assertEquals(TransferException.Reason.NOT_FOUND, missing.reason());
    }
  }
}
