package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.FileCheckpointStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A receiver that declares auto-acknowledgement off ({@link SessionHandler#autoAcknowledge})
 * never acknowledges a message it has not checkpointed, also once its process restarted and the
 * session was restored from its file store, where {@code onOpen} does not run; and so does one
 * that turns it off per session in {@code onInboundRewind} as well. Before the declaration a
 * receiver turned auto-ack off in {@code onOpen} only; its restored session started with auto-ack
 * on again and acknowledged messages it had not made durable (both server tests fail that way if
 * the receiver's off switch is left to {@code onOpen}).
 *
 * <p>"Never acknowledged" is observed without waiting for time to pass: after the receiver's
 * handler returned from the last message, the receiver answers with a marker message. Frames
 * leave in order and an ACK that is due leaves before any DATA, so by the time the sender's
 * handler sees the marker, every ACK the receiver wrote before it has completed its futures.
 */
class DurableReceiverRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void aRestoredServerSessionAcknowledgesOnlyWhatItCheckpointed() throws Exception {
    serverRestarts(true);
  }

  /**
   * The way for a handler that decides per session (the file transfer's server, whose handler
   * also serves downloads): setAutoAck(false) in onOpen and again in onInboundRewind, the first
   * callback of a restored session, before any of its messages is delivered.
   */
  @Test
  void aRestoredServerSessionTurnedOffInOnInboundRewindAcknowledgesOnlyWhatItCheckpointed()
      throws Exception {
    serverRestarts(false);
  }

  private void serverRestarts(boolean declared) throws Exception {
    Path serverState = dir.resolve("server-store");
    Marked clientSide = new Marked();
    try (FileCheckpointStore clientStore = FileCheckpointStore.open(dir.resolve("client-store"))) {
      FileCheckpointStore serverStore = FileCheckpointStore.open(serverState);
      DurableReceiver first = new DurableReceiver(declared);
      LifelineServer server = Fixtures.server(dir, first).store(serverStore).start();
      int port = server.port();
      try (LifelineClient client = Fixtures.client(dir, port).store(clientStore)
          .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(60))
          .build()) {
        Session session = client.open("durable-upload", clientSide).get(10, TimeUnit.SECONDS);
        List<CompletableFuture<Void>> acked = new ArrayList<>();
        for (long n = 1; n <= 6; n++) {
          acked.add(session.send(message(n)));
        }
        first.awaitMessages(1, 6);
        first.answerMarker(6);
        clientSide.awaitMarker(6);
        assertNothingAcknowledged(acked, 1, 6, "a new session, before any checkpoint");
        first.checkpoint(3);
        waitAcknowledged(acked, 1, 3);

        // Restart: messages 4..6 were handled, never checkpointed.
        server.close();
        serverStore.close();
        serverStore = FileCheckpointStore.open(serverState);
        DurableReceiver second = new DurableReceiver(declared);
        server = Fixtures.server(dir, second).store(serverStore).port(port).start();
        assertEquals(3, second.awaitRestoredAt(), "restored at its checkpoint");
        second.awaitMessages(4, 6);
        second.answerMarker(6);
        clientSide.awaitMarker(6);
        assertNothingAcknowledged(acked, 4, 6, "a session restored after a server restart");

        // Restart again: what was never acknowledged comes again, and is acknowledged once
        // checkpointed.
        server.close();
        serverStore.close();
        serverStore = FileCheckpointStore.open(serverState);
        DurableReceiver third = new DurableReceiver(declared);
        server = Fixtures.server(dir, third).store(serverStore).port(port).start();
        assertEquals(3, third.awaitRestoredAt());
        third.awaitMessages(4, 6);
        third.checkpoint(6);
        waitAcknowledged(acked, 4, 6);
      } finally {
        server.close();
        serverStore.close();
      }
    }
  }

  @Test
  void aRestoredClientSessionAcknowledgesOnlyWhatItCheckpointed() throws Exception {
    Path clientState = dir.resolve("client-store");
    Marked serverSide = new Marked();
    try (FileCheckpointStore serverStore = FileCheckpointStore.open(dir.resolve("server-store"));
        LifelineServer server = Fixtures.server(dir, serverSide).store(serverStore).start()) {
      DurableReceiver first = new DurableReceiver(true);
      LifelineClient client = client(server.port(), clientState);
      try {
        client.open("durable-download", first).get(10, TimeUnit.SECONDS);
        Session session = serverSide.opened.get(10, TimeUnit.SECONDS);
        List<CompletableFuture<Void>> acked = new ArrayList<>();
        for (long n = 1; n <= 6; n++) {
          acked.add(session.send(message(n)));
        }
        first.awaitMessages(1, 6);
        first.answerMarker(6);
        serverSide.awaitMarker(6);
        assertNothingAcknowledged(acked, 1, 6, "a new session, before any checkpoint");
        first.checkpoint(3);
        waitAcknowledged(acked, 1, 3);

        // Restart: messages 4..6 were handled, never checkpointed.
        client = restart(client, server.port(), clientState);
        DurableReceiver second = new DurableReceiver(true);
        client.open("durable-download", second).get(10, TimeUnit.SECONDS);
        assertEquals(3, second.awaitRestoredAt(), "restored at its checkpoint");
        second.awaitMessages(4, 6);
        second.answerMarker(6);
        serverSide.awaitMarker(6);
        assertNothingAcknowledged(acked, 4, 6, "a session restored after a client restart");

        // Restart again: what was never acknowledged comes again, and is acknowledged once
        // checkpointed.
        client = restart(client, server.port(), clientState);
        DurableReceiver third = new DurableReceiver(true);
        client.open("durable-download", third).get(10, TimeUnit.SECONDS);
        assertEquals(3, third.awaitRestoredAt());
        third.awaitMessages(4, 6);
        third.checkpoint(6);
        waitAcknowledged(acked, 4, 6);
      } finally {
        client.close();
      }
    }
  }

  // The store is closed with its client and reopened by the next: one process's lifetime.
  private final List<FileCheckpointStore> clientStores = new ArrayList<>();

  private LifelineClient client(int port, Path state) throws Exception {
    FileCheckpointStore store = FileCheckpointStore.open(state);
    clientStores.add(store);
    return Fixtures.client(dir, port).store(store)
        .reconnect(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(60))
        .build();
  }

  private LifelineClient restart(LifelineClient client, int port, Path state) throws Exception {
    client.close();
    clientStores.remove(clientStores.size() - 1).close();
    return client(port, state);
  }

  @AfterEach
  void closeStores() {
    clientStores.forEach(FileCheckpointStore::close);
  }

  private static byte[] message(long n) {
    return ByteBuffer.allocate(Long.BYTES).putLong(n).array();
  }

  private static void assertNothingAcknowledged(List<CompletableFuture<Void>> acked, long from,
      long to, String when) {
    for (long n = from; n <= to; n++) {
      assertFalse(acked.get((int) n - 1).isDone(),
          "message " + n + " acknowledged without a checkpoint: " + when);
    }
  }

  private static void waitAcknowledged(List<CompletableFuture<Void>> acked, long from, long to)
      throws Exception {
    for (long n = from; n <= to; n++) {
      acked.get((int) n - 1).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  /**
   * A durable receiver: keeps what it got in memory only (so nothing of it is durable) and
   * checkpoints only when the test says so. Auto-ack is off by its declaration ({@code declared})
   * or, per session, by setAutoAck in onOpen and onInboundRewind.
   */
  static final class DurableReceiver implements SessionHandler {
    private final boolean declared;
    private final BlockingQueue<Long> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Long> restoredAt = new CompletableFuture<>();
    private volatile Session session;

    DurableReceiver(boolean declared) {
      this.declared = declared;
    }

    @Override
    public boolean autoAcknowledge() {
      return !declared;
    }

    @Override
    public void onOpen(Session session) {
      this.session = session;
      if (!declared) {
        session.setAutoAck(false);
      }
    }

    @Override
    public void onInboundRewind(Session session, Checkpoint checkpoint) {
      this.session = session;
      if (!declared) {
        session.setAutoAck(false);
      }
      restoredAt.complete(checkpoint.position());
    }

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) {
      this.session = session;
      assertEquals(seq, message.getLong(message.position()), "message carries its sequence");
      messages.add(seq);
    }

    /** Waits for exactly the messages {@code from..to}, in order, as the next ones. */
    void awaitMessages(long from, long to) throws InterruptedException {
      for (long n = from; n <= to; n++) {
        assertEquals(Long.valueOf(n), messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS));
      }
    }

    long awaitRestoredAt() throws Exception {
      return restoredAt.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    void checkpoint(long position) throws Exception {
      session.checkpoint(position, message(position)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * Once the callbacks queued so far (the handling of every message received) ran, sends
     * {@code upTo} to the peer: behind any ACK this side wrote for them.
     */
    void answerMarker(long upTo) {
      Session s = session;
      assertNotNull(s, "no session yet");
      s.runInOrder(() -> {
        while (true) {
          try {
            s.send(message(upTo));
            return;
          } catch (StreamRewoundException e) {
            // This side restarted and lost its outbound stream: the next send goes through.
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      });
    }
  }

  /** The sending side: auto-acknowledges and collects the receiver's markers. */
  static final class Marked implements SessionHandler {
    final CompletableFuture<Session> opened = new CompletableFuture<>();
    private final BlockingQueue<Long> markers = new LinkedBlockingQueue<>();

    @Override
    public void onOpen(Session session) {
      opened.complete(session);
    }

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) {
      markers.add(message.getLong(message.position()));
    }

    void awaitMarker(long upTo) throws InterruptedException {
      while (true) {
        Long m = markers.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(m, "no marker " + upTo);
        if (m == upTo) {
          return;
        }
      }
    }
  }
}
