package dev.lifeline.internal.session;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.Outbox;
import dev.lifeline.store.StoreException;
import io.netty.bootstrap.Bootstrap;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The sessions of one client: opens or restores each by resume key and keeps it connected. */
public final class ClientSessions {
  private static final Logger log = LoggerFactory.getLogger(ClientSessions.class);
  private final CheckpointStore store;
  private final SessionConfig config;
  private final Bootstrap base;
  private final ClientPipeline pipeline;
  private final String host;
  private final int port;
  private final ClientConnector.Backoff backoff;
  private final byte[] credentials;
  private final int maxFrameSize;
  private final Map<String, SessionCore> open = new ConcurrentHashMap<>();
  private final ConnectGate gate;
  private final ConnectionLog connectionLog;

  public ClientSessions(CheckpointStore store, SessionConfig config, Bootstrap base,
      ClientPipeline pipeline, String host, int port, Duration initialBackoff,
      Duration maxBackoff, Duration deadline, byte[] credentials, int maxFrameSize,
      int maxConcurrentConnects) {
    this.gate = new ConnectGate(maxConcurrentConnects, base.config().group());
    this.connectionLog = new ConnectionLog("client", config.timer(),
        ConnectionLog.DEFAULT_INTERVAL_MILLIS);
    this.store = store;
    this.config = config;
    this.base = base;
    this.pipeline = pipeline;
    this.host = host;
    this.port = port;
    this.backoff = new ClientConnector.Backoff(initialBackoff, maxBackoff, deadline);
    this.credentials = credentials;
    this.maxFrameSize = maxFrameSize;
  }

  public CompletableFuture<Session> open(String resumeKey, SessionHandler handler) {
    ClientPersistence persistence = new ClientPersistence(store, Clock.systemUTC(), resumeKey);
    SessionCore core = new SessionCore(config, handler, persistence);
    if (open.putIfAbsent(resumeKey, core) != null) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          "resumeKey: " + resumeKey + " is already open in this client"));
    }
    core.closeFuture().whenComplete((v, e) -> open.remove(resumeKey, core));
    ClientConnector connector = new ClientConnector(core, persistence, base, pipeline, host,
        port, backoff, credentials, maxFrameSize, RandomGenerator.getDefault(), System::nanoTime,
        gate, connectionLog);
    return store.load(resumeKey).thenCompose(record -> {
      Optional<ClientPersistence.Stored> stored = persistence.adopt(record);
      connector.restoreFrom(stored);
      if (config.durableOutbox()) {
        useOutbox(core, resumeKey, stored);
      }
      connector.connect();
      return connector.opened();
    }).whenComplete((s, e) -> {
      if (e != null) {
        open.remove(resumeKey, core);
      }
    });
  }

  /**
   * Opens the outbox kept under {@code resumeKey}: a session restored from the store sends again
   * what it holds; a new one sends it first, numbered after what the outbox already numbered.
   */
  private void useOutbox(SessionCore core, String resumeKey,
      Optional<ClientPersistence.Stored> stored) {
    try {
      Outbox outbox = store.openOutbox(resumeKey);
      long base = stored.isPresent() ? stored.get().producerBase() : outbox.firstSeq() - 1;
      int loaded = core.useOutbox(outbox, base);
      if (loaded > 0) {
        log.info("session {} ({}): {} unacknowledged messages loaded from the outbox to send{}",
            core.id() == null ? "new" : core.id(), resumeKey, loaded,
            stored.isPresent() ? " again" : " first");
      }
    } catch (StoreException e) {
      throw new CompletionException(e);
    }
  }

  /**
   * Forgets the session stored under {@code resumeKey} (its outbox stays, to be sent first) and
   * opens a new one there.
   */
  public CompletableFuture<Session> openNew(String resumeKey, SessionHandler handler) {
    if (open.containsKey(resumeKey)) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          "resumeKey: " + resumeKey + " is already open in this client"));
    }
    return store.delete(resumeKey).thenCompose(v -> open(resumeKey, handler));
  }

  /** Drops every session's connection, keeping their records. */
  public void abortAll() {
    open.values().forEach(SessionCore::abort);
  }

  /** Where this client's connections count their failures (summarised at INFO every minute). */
  public ConnectionLog connectionLog() {
    return connectionLog;
  }
}
