package dev.lifeline.internal.session;

import dev.lifeline.Authenticator;
import dev.lifeline.ErrorCode;
import dev.lifeline.ServerEventListener;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionInfo;
import dev.lifeline.SessionMovedException;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.ProtocolException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.CheckpointStore;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.store.StoreException;
import io.netty.channel.Channel;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's sessions: opening new ones, checking resume attempts (token, identity, expiry,
 * rate) and keeping the live ones. Store work is asynchronous; each connection handler applies the
 * outcome on its own event loop.
 */
public final class ServerSessions {
  private static final Logger log = LoggerFactory.getLogger(ServerSessions.class);
  private static final int MAX_TOMBSTONES = 100_000;

  private final CheckpointStore store;
  private final SessionConfig config;
  private final SessionHandler handler;
  private final ResumeTokens tokens;
  private final Clock clock;
  private final int maxSessions;
  private final int maxSessionsPerIdentity;
  // live sessions per identity; an entry is removed when its count drops to zero
  private final Map<String, Integer> perIdentity = new ConcurrentHashMap<>();
  private final RefusalLimiter limiter;
  private final Authenticator authenticator;
  private final ServerEventListener events;
  private final ConnectionLog connectionLog;
  private final Map<String, Live> live = new ConcurrentHashMap<>();
  // Sessions whose stale copy is being dropped: a resume of the same id on this node waits until
  // the copy's application callbacks (onClosed) ran, so they cannot touch the new copy's state.
  private final Map<String, CompletableFuture<Void>> draining = new ConcurrentHashMap<>();
  // guarded by itself; ids removed by expiry, to answer EXPIRED rather than UNKNOWN
  private final Map<String, Boolean> tombstones = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > MAX_TOMBSTONES;
    }
  };

  /** Without a per-identity limit. */
  public ServerSessions(CheckpointStore store, SessionConfig config, SessionHandler handler,
      ResumeTokens tokens, Clock clock, int maxSessions, RefusalLimiter limiter,
      Authenticator authenticator, ServerEventListener events) {
    this(store, config, handler, tokens, clock, maxSessions, Integer.MAX_VALUE, limiter,
        authenticator, events);
  }

  public ServerSessions(CheckpointStore store, SessionConfig config, SessionHandler handler,
      ResumeTokens tokens, Clock clock, int maxSessions, int maxSessionsPerIdentity,
      RefusalLimiter limiter, Authenticator authenticator, ServerEventListener events) {
    this.store = store;
    this.config = config;
    this.handler = handler;
    this.tokens = tokens;
    this.clock = clock;
    this.maxSessions = maxSessions;
    this.maxSessionsPerIdentity = maxSessionsPerIdentity;
    this.limiter = limiter;
    this.authenticator = authenticator;
    this.events = events;
    this.connectionLog = new ConnectionLog("server", config.timer(),
        ConnectionLog.DEFAULT_INTERVAL_MILLIS);
  }

  /** Where the server's connections count their failures (summarised at INFO every minute). */
  public ConnectionLog connectionLog() {
    return connectionLog;
  }

  /** Where session events go (never throws). */
  public ServerEventListener events() {
    return events;
  }

  /**
   * A live session with the server's persistence of it (its stored record), which the server
   * reads and writes beside the session: identity, token hashes, keep-alive.
   */
  record Live(SessionCore core, ServerPersistence persistence) {
    String identity() {
      return persistence.record().identity();
    }
  }

  /** The outcome of OPEN or RESUME: a session to attach, or a refusal. */
  public record Admission(Live live, byte[] token, Frame.StreamState peerState,
      ErrorCode refusal, String reason) {
    static Admission refused(ErrorCode code, String reason) {
      return new Admission(null, null, null, code, reason);
    }

    /** The admitted session; null if refused. */
    public SessionCore session() {
      return live == null ? null : live.core();
    }
  }

  /** Whether {@code source} may try at all (not rate limited). */
  public boolean admits(String source) {
    return limiter.allows(source);
  }

  /** Creates a session for an OPEN; completes once its record is durable. */
  public CompletableFuture<Admission> open(Authenticator.Peer peer, Frame.Open open) {
    if (live.size() >= maxSessions) {
      return CompletableFuture.completedFuture(Admission.refused(ErrorCode.TOO_MANY_SESSIONS,
          "server holds its maximum of " + maxSessions + " sessions"));
    }
    String identity;
    try {
      identity = authenticator.authenticate(peer, open.credentials());
    } catch (Authenticator.AuthenticationException e) {
      limiter.refused(host(peer));
      return CompletableFuture.completedFuture(
          Admission.refused(ErrorCode.AUTHENTICATION_FAILED, e.getMessage()));
    }
    if (!reserve(identity)) {
      return CompletableFuture.completedFuture(Admission.refused(
          ErrorCode.TOO_MANY_SESSIONS_FOR_IDENTITY, "this identity holds its maximum of "
              + maxSessionsPerIdentity + " sessions; close one or let it expire"));
    }
    if (open.producerId().length == 0) {
      return admitOpen(identity, null);
    }
    String producerKey = Producers.key(open.producerId());
    return store.load(producerKey).handle((found, err) -> {
      if (err != null) {
        unreserve(identity);
        return CompletableFuture.<Admission>failedFuture(err);
      }
      return admitOpen(identity,
          Producers.resume(producerKey, open.producerBase(), identity, found));
    }).thenCompose(admission -> admission);
  }

  /**
   * Creates the session of an admitted OPEN; {@code producer} (null without one) says what the
   * client's outbox had stored here in earlier sessions, which the new session starts after.
   */
  private CompletableFuture<Admission> admitOpen(String identity, Producers.Resume producer) {
    String id = tokens.newSessionId();
    byte[] token = tokens.newToken();
    long now = clock.millis();
    SessionRecord record = SessionRecord.builder(id)
        .secret(ResumeTokens.initialSecret(token))
        .identity(identity)
        .createdAtMillis(now)
        .lastActiveMillis(now)
        .checkpoint(producer == null ? Checkpoint.NONE : producer.checkpoint())
        .build();
    Live entry = newLive(record);
    entry.core().assignId(id);
    if (producer != null) {
      entry.core().startAfter(producer.checkpoint());
      entry.persistence().producer(producer, tokens.newToken());
      if (producer.checkpoint().position() > 0 || producer.checkpoint().stateLength() > 0) {
        log.info("session {}: producer {} continues; its messages 1..{} of this session were "
            + "stored in an earlier one and are dropped", id, producer.key(),
            producer.checkpoint().position());
      }
    }
    if (!useOutbox(entry)) {
      unreserve(identity);
      return CompletableFuture.completedFuture(Admission.refused(ErrorCode.STORE_UNAVAILABLE,
          "the server could not open the session's outbox"));
    }
    return store.put(record).handle((v, err) -> {
      if (err != null) {
        unreserve(identity);
        throw err instanceof java.util.concurrent.CompletionException c ? c
            : new java.util.concurrent.CompletionException(err);
      }
      live.put(id, entry);
      events.sessionOpened(id, identity);
      return new Admission(entry, token, null, null, null);
    });
  }

  /** Takes one of {@code identity}'s session places; false if it holds its maximum. */
  private boolean reserve(String identity) {
    boolean[] taken = {false};
    perIdentity.compute(identity, (k, n) -> {
      int held = n == null ? 0 : n;
      if (held >= maxSessionsPerIdentity) {
        return n;
      }
      taken[0] = true;
      return held + 1;
    });
    return taken[0];
  }

  private void unreserve(String identity) {
    perIdentity.computeIfPresent(identity, (k, n) -> n <= 1 ? null : n - 1);
  }

  /**
   * Removes {@code entry} if it is the live session {@code id}, and gives its identity's place
   * back; true if it was.
   */
  private boolean forget(String id, Live entry) {
    if (live.remove(id, entry)) {
      unreserve(entry.identity());
      return true;
    }
    return false;
  }

  /** Sessions {@code identity} holds in memory now (for tests and metrics). */
  public int sessionsOf(String identity) {
    return perIdentity.getOrDefault(identity, 0);
  }

  /** Checks a RESUME; completes once the replacement token is durable, or with a refusal. */
  public CompletableFuture<Admission> resume(Authenticator.Peer peer, Frame.Resume resume) {
    String identity;
    try {
      identity = authenticator.authenticate(peer, resume.credentials());
    } catch (Authenticator.AuthenticationException e) {
      limiter.refused(host(peer));
      return CompletableFuture.completedFuture(
          Admission.refused(ErrorCode.AUTHENTICATION_FAILED, e.getMessage()));
    }
    Live existing = live.get(resume.sessionId());
    if (store.isShared()) {
      // Another node may have resumed the session since this one held it: only the store knows.
      return draining.getOrDefault(resume.sessionId(), CompletableFuture.completedFuture(null))
          .thenCompose(v -> store.load(resume.sessionId()))
          .thenCompose(r -> dropIfMoved(existing, r))
          .thenCompose(r -> admitResume(peer, identity, resume, r));
    }
    CompletableFuture<Optional<SessionRecord>> found = existing != null
        ? CompletableFuture.completedFuture(Optional.of(existing.persistence().record()))
        : store.load(resume.sessionId());
    return found.thenCompose(r -> admitResume(peer, identity, resume, r));
  }

  /**
   * With a shared store: keeps this node's copy of a session only while the stored record is
   * still the one it wrote last (every resume anywhere replaces the token hashes); otherwise ends
   * the copy, without deleting anything, and completes once its application callbacks ran.
   */
  private CompletableFuture<Optional<SessionRecord>> dropIfMoved(Live existing,
      Optional<SessionRecord> stored) {
    if (existing == null) {
      return CompletableFuture.completedFuture(stored);
    }
    if (existing.core().isClosed()) { // dropped meanwhile (a refused write): wait for its callbacks
      return draining.getOrDefault(existing.core().id(), CompletableFuture.completedFuture(null))
          .thenApply(v -> stored);
    }
    byte[] mine = existing.persistence().record().secret();
    if (stored.isPresent() && java.util.Arrays.equals(mine, stored.get().secret())) {
      return CompletableFuture.completedFuture(stored);
    }
    return drop(existing, stored.isPresent()
        ? "resumed on another node since" : "removed from the store by another node")
        .thenApply(v -> stored);
  }

  /** Ends this node's stale copy of a session that moved; completes after its onClosed ran. */
  private CompletableFuture<Void> drop(Live entry, String why) {
    SessionCore core = entry.core();
    log.info("session {} {}: dropping this node's copy", core.id(), why);
    String id = core.id();
    CompletableFuture<Void> drained = new CompletableFuture<>();
    draining.put(id, drained);
    core.terminate(SessionEnd.HAND_OVER, ErrorCode.GOING_AWAY, "session moved to another node",
        new SessionMovedException("session " + id + " " + why));
    forget(id, entry);
    core.runInOrder(() -> {
      draining.remove(id, drained);
      drained.complete(null);
    });
    return drained;
  }

  private CompletableFuture<Admission> admitResume(Authenticator.Peer peer, String identity,
      Frame.Resume resume, Optional<SessionRecord> found) {
    String id = resume.sessionId();
    if (found.isEmpty()) {
      limiter.refused(host(peer));
      boolean expired;
      synchronized (tombstones) {
        expired = tombstones.containsKey(id);
      }
      return CompletableFuture.completedFuture(expired
          ? Admission.refused(ErrorCode.EXPIRED_SESSION, "session " + id + " has expired")
          : Admission.refused(ErrorCode.UNKNOWN_SESSION, "no session " + id));
    }
    SessionRecord record = found.get();
    ResumeTokens.Match match = ResumeTokens.match(record.secret(), resume.token());
    if (match == ResumeTokens.Match.NONE || match == ResumeTokens.Match.RETIRED) {
      limiter.refused(host(peer));
      return CompletableFuture.completedFuture(Admission.refused(match.refusal(),
          match == ResumeTokens.Match.RETIRED
              ? "resume token for " + id + " was already used"
              : "resume token does not match session " + id));
    }
    if (!record.identity().equals(identity)) {
      limiter.refused(host(peer));
      return CompletableFuture.completedFuture(Admission.refused(ErrorCode.FOREIGN_SESSION,
          "session " + id + " belongs to another identity"));
    }
    Live entry = live.computeIfAbsent(id, k -> {
      Live c = newLive(record);
      c.core().restore(id, record.checkpoint());
      if (!useOutbox(c)) {
        return null; // refused below: nothing is sent again that the outbox could not load
      }
      log.debug("session {}: restored from the store at checkpoint {}", id,
          record.checkpoint().position());
      if (store.isShared()) {
        c.persistence().claimOnNextWrite();
      }
      // A session back from the store counts for its identity even beyond the maximum: the
      // maximum refuses new sessions, never the resume of one that exists.
      perIdentity.merge(record.identity(), 1, Integer::sum);
      return c;
    });
    if (entry == null) {
      return CompletableFuture.completedFuture(Admission.refused(ErrorCode.STORE_UNAVAILABLE,
          "the server could not load session " + id + "'s outbox"));
    }
    byte[] token = tokens.newToken();
    byte[] secret = ResumeTokens.afterResume(record.secret(), match, resume.token(), token);
    return entry.persistence().putSecret(secret)
        .thenApply(v -> new Admission(entry, token, resume.state(), null, null));
  }

  /** The client stored its new token: the one it resumed with is retired. */
  void confirm(Live entry) {
    ServerPersistence p = entry.persistence();
    synchronized (p) {
      p.putSecret(ResumeTokens.afterConfirm(p.record().secret()));
    }
  }

  /**
   * Gives a session its durable outbox when the server keeps them: a restored one sends again
   * what it holds. False (logged) if the store could not open it.
   */
  private boolean useOutbox(Live entry) {
    if (!config.durableOutbox()) {
      return true;
    }
    SessionCore core = entry.core();
    try {
      // The server's outbox is one session's: it numbers as the session does.
      int loaded = core.useOutbox(store.openOutbox(core.id()), 0);
      if (loaded > 0) {
        log.info("session {}: {} unacknowledged messages loaded from the outbox to send again",
            core.id(), loaded);
      }
      return true;
    } catch (StoreException | RuntimeException e) {
      log.error("session {}: cannot open its outbox: {}", core.id(), e.getMessage());
      return false;
    }
  }

  /** The outbox of a session that expired while nothing held it in memory. */
  private void deleteOutbox(String id) {
    if (!config.durableOutbox()) {
      return;
    }
    try {
      store.deleteOutbox(id);
    } catch (StoreException | RuntimeException e) {
      log.warn("session {} expired, but its outbox could not be removed: {}", id, e.getMessage());
    }
  }

  private Live newLive(SessionRecord record) {
    Live[] entry = new Live[1];
    ServerPersistence persistence = new ServerPersistence(store, clock, record,
        (session, forget) -> {
          if (forget(session.id(), entry[0])) {
            events.sessionClosed(session.id());
          }
        }, events,
        taken -> {
          Live c = entry[0];
          if (c != null && !c.core().isClosed()) {
            drop(c, "taken over by another node");
          }
        });
    entry[0] = new Live(new SessionCore(config, handler, persistence), persistence);
    return entry[0];
  }

  /**
   * Keeps connected sessions alive in the store, then removes expired ones and ends their live
   * sessions.
   */
  public CompletableFuture<List<String>> sweep() {
    List<CompletableFuture<Void>> touches = new ArrayList<>();
    for (Live s : live.values()) {
      if (s.core().isConnected()) {
        touches.add(s.persistence().touch());
      }
    }
    if (store.isShared()) {
      touches.add(dropMovedSessions());
    }
    return CompletableFuture.allOf(touches.toArray(new CompletableFuture<?>[0]))
        .exceptionally(e -> null) // a failed touch must not stop the sweep
        .thenCompose(v -> store.sweepExpired())
        .thenApply(Producers::withoutProducers) // they expire too, but are no sessions
        .thenApply(expired -> {
          for (String id : expired) {
            synchronized (tombstones) {
              tombstones.put(id, Boolean.TRUE);
            }
            Live s = live.get(id);
            if (s == null) {
              deleteOutbox(id); // a live one goes with its session's end
            }
            if (s != null) {
              forget(id, s);
              s.core().terminate(SessionEnd.TELL_PEER, ErrorCode.EXPIRED_SESSION, "session expired",
                  new dev.lifeline.SessionRefusedException(ErrorCode.EXPIRED_SESSION,
                      "session " + id + " expired"));
            }
          }
          if (!expired.isEmpty()) {
            log.info("expired {} sessions", expired.size());
          }
          return expired;
        });
  }

  /**
   * With a shared store: drops this node's copies of disconnected sessions that another node
   * resumed or removed since, so they neither hold memory nor count against maxSessions.
   */
  private CompletableFuture<Void> dropMovedSessions() {
    List<CompletableFuture<?>> checks = new ArrayList<>();
    for (Live s : live.values()) {
      SessionCore core = s.core();
      if (!core.isConnected() && core.id() != null) {
        checks.add(store.load(core.id()).thenCompose(r -> dropIfMoved(s, r)));
      }
    }
    return CompletableFuture.allOf(checks.toArray(new CompletableFuture<?>[0]));
  }

  /** Live sessions (connected or waiting for their client), as of now. */
  public Collection<SessionCore> live() {
    return live.values().stream().map(Live::core).toList();
  }

  public int size() {
    return live.size();
  }

  /** A snapshot of every live session. */
  public List<SessionInfo> snapshot() {
    List<SessionInfo> out = new ArrayList<>(live.size());
    for (Live entry : live.values()) {
      SessionCore s = entry.core();
      String remote = s.remoteAddress();
      out.add(new SessionInfo(s.id(), entry.identity(), remote != null && s.isConnected(),
          remote == null ? "" : remote, s.stats(), s.replayBufferedBytes()));
    }
    return out;
  }

  /** Attaches an admitted session to its connection and answers the client. */
  public static void attach(Channel ch, Admission a, boolean tlsResumed) throws ProtocolException {
    SessionCore core = a.session();
    if (a.peerState() == null) {
      core.attach(ch, null, tlsResumed, mine -> new Frame.Opened(core.id(), a.token()));
      core.fireOpened();
    } else {
      core.attach(ch, a.peerState(), tlsResumed, mine -> new Frame.Resumed(a.token(), mine));
    }
  }

  /** The source a peer's refusals count against: its IPv4 address or IPv6 /64 ({@link SourceLimits}). */
  static String host(Authenticator.Peer peer) {
    String a = peer.remoteAddress();
    int colon = a.lastIndexOf(':');
    return SourceLimits.ofHost(colon > 0 ? a.substring(0, colon) : a);
  }
}
