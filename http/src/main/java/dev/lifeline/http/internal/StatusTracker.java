package dev.lifeline.http.internal;

import dev.lifeline.ErrorCode;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.ServerEventListener;
import dev.lifeline.SessionInfo;
import dev.lifeline.SessionStats;
import dev.lifeline.internal.http.ServerView;
import dev.lifeline.transfer.FileTransferServer;
import dev.lifeline.transfer.TransferProgress;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the status page shows: recent session events (disconnects, resumes, refusals, failed TLS
 * handshakes, each with the reason core gives in words), TLS handshake counts, and throughput sampled once a second over the last five minutes; plus, at
 * each request, the live sessions and transfers. Rendered as one JSON document.
 */
final class StatusTracker implements ServerEventListener, HandshakeListener {
  static final int MAX_EVENTS = 50;
  static final int MAX_SAMPLES = 300;
  /** Rows of sessions and of transfers in one document; the page shows the totals beside them. */
  static final int MAX_ROWS = 100;

  private final Clock clock;
  private final LongAdder tlsFull = new LongAdder();
  private final LongAdder tlsResumed = new LongAdder();
  private final LongAdder tlsFailed = new LongAdder();
  private final LongAdder resumes = new LongAdder();
  private final LongAdder disconnects = new LongAdder();
  private final LongAdder replayedBytes = new LongAdder();
  // guarded by this
  private final ArrayDeque<Event> events = new ArrayDeque<>();
  private final ArrayDeque<long[]> samples = new ArrayDeque<>(); // {millis, bytes in that second}
  private final Map<String, Long> lastBytes = new HashMap<>();
  private final Map<String, Long> disconnectedAt = new HashMap<>();
  private final Map<String, Long> resumesBySession = new HashMap<>();

  private volatile ServerView server;
  private volatile FileTransferServer files;

  private record Event(long atMillis, String kind, String session, String detail) {}

  StatusTracker(Clock clock) {
    this.clock = clock;
  }

  void bind(ServerView server, FileTransferServer files) {
    this.files = files;
    this.server = server;
  }

  /** Takes one throughput sample: bytes moved by every live session since the last one. */
  void sample() {
    ServerView s = server;
    if (s == null) {
      return;
    }
    List<SessionInfo> sessions = s.sessions();
    synchronized (this) {
      long moved = 0;
      Map<String, Long> now = new HashMap<>();
      for (SessionInfo info : sessions) {
        SessionStats st = info.stats();
        long total = st.bytesSent() + st.bytesReceived() + st.resentBytes();
        now.put(info.id(), total);
        moved += Math.max(0, total - lastBytes.getOrDefault(info.id(), 0L));
      }
      lastBytes.clear();
      lastBytes.putAll(now);
      samples.addLast(new long[] {clock.millis(), moved});
      while (samples.size() > MAX_SAMPLES) {
        samples.removeFirst();
      }
    }
  }

  private synchronized void add(String kind, String session, String detail) {
    events.addLast(new Event(clock.millis(), kind, session, detail));
    while (events.size() > MAX_EVENTS) {
      events.removeFirst();
    }
  }

  @Override
  public void handshakeCompleted(HandshakeEvent e) {
    if (e.side() != HandshakeEvent.Side.SERVER) {
      return;
    }
    if (e.succeeded()) {
      (e.resumed() ? tlsResumed : tlsFull).increment();
    } else {
      // The reason is core's FailureReason ("the client does not trust the server's
      // certificate ..."), already in words: shown as it is, like a disconnect's.
      tlsFailed.increment();
      add("tls-failed", "", e.peer() + ": " + e.failureMessage().orElse("failed"));
    }
  }

  @Override
  public void sessionOpened(String sessionId, String identity) {
    add("open", sessionId, identity.isEmpty() ? "anonymous" : identity);
  }

  @Override
  public void resumeSucceeded(String sessionId, long latencyNanos) {
    resumes.increment();
    Long since;
    synchronized (this) {
      since = disconnectedAt.remove(sessionId);
      resumesBySession.merge(sessionId, 1L, Long::sum);
    }
    String gap = since == null ? "" : ", " + (clock.millis() - since) + " ms after the cut";
    add("resume", sessionId, String.format(Locale.ROOT, "resumed in %.1f ms%s",
        latencyNanos / 1e6, gap));
  }

  @Override
  public void resumeRefused(String sessionId, ErrorCode code, long latencyNanos) {
    add("refused", sessionId, code.name());
  }

  @Override
  public void sessionDisconnected(String sessionId, String reason) {
    disconnects.increment();
    synchronized (this) {
      disconnectedAt.put(sessionId, clock.millis());
    }
    add("disconnect", sessionId, reason);
  }

  @Override
  public void replayed(String sessionId, long bytes) {
    replayedBytes.add(bytes);
  }

  @Override
  public void sessionClosed(String sessionId) {
    synchronized (this) {
      disconnectedAt.remove(sessionId);
      resumesBySession.remove(sessionId);
    }
    add("close", sessionId, "");
  }

  /** The status document. */
  String json() {
    ServerView s = server;
    List<SessionInfo> sessions = s == null ? List.of() : s.sessions();
    List<TransferProgress> transfers = files == null ? List.of() : files.activeTransfers();
    Map<String, SessionInfo> byId = new HashMap<>();
    sessions.forEach(i -> byId.put(i.id(), i));
    Json j = new Json().open('{');
    j.field("now", clock.millis());
    j.field("address", s == null ? "" : s.address());
    j.field("tlsProvider", s == null ? "" : s.tlsProvider());
    long full = tlsFull.sum();
    long resumed = tlsResumed.sum();
    j.key("tls").open('{').field("full", full).field("resumed", resumed)
        .field("failed", tlsFailed.sum())
        .field("resumedRatio", full + resumed == 0 ? 0.0 : resumed / (double) (full + resumed))
        .close('}');
    j.key("totals").open('{').field("resumes", resumes.sum())
        .field("disconnects", disconnects.sum()).field("replayedBytes", replayedBytes.sum())
        .close('}');
    j.key("counts").open('{').field("sessions", sessions.size())
        .field("connected", sessions.stream().filter(SessionInfo::connected).count())
        .field("transfers", transfers.size()).close('}');
    synchronized (this) {
      j.key("sessions").open('[');
      // Connected sessions first, then the most active; at most MAX_ROWS.
      List<SessionInfo> shown = sessions.stream()
          .sorted(java.util.Comparator.comparing(SessionInfo::connected).reversed()
              .thenComparing(i -> -(i.stats().bytesSent() + i.stats().bytesReceived())))
          .limit(MAX_ROWS).toList();
      for (SessionInfo i : shown) {
        SessionStats st = i.stats();
        j.open('{').field("id", i.id()).field("identity", i.identity())
            .field("connected", i.connected()).field("remote", i.remoteAddress())
            .field("reconnects", st.reconnects()).field("sent", st.bytesSent())
            .field("received", st.bytesReceived()).field("resent", st.resentBytes())
            .field("replayBuffered", i.replayBufferedBytes()).close('}');
      }
      j.close(']');
      j.key("transfers").open('[');
      for (TransferProgress t : transfers.subList(0, Math.min(MAX_ROWS, transfers.size()))) {
        SessionInfo i = byId.get(t.sessionId());
        j.open('{').field("session", t.sessionId())
            .field("direction", t.direction().name().toLowerCase(Locale.ROOT))
            .field("name", t.name()).field("size", t.size()).field("done", t.done())
            .field("connected", i != null && i.connected())
            .field("resumes", resumesBySession.getOrDefault(t.sessionId(),
                i == null ? 0L : i.stats().reconnects()))
            .close('}');
      }
      j.close(']');
      j.key("events").open('[');
      for (Event e : events) {
        j.open('{').field("at", e.atMillis()).field("kind", e.kind())
            .field("session", e.session()).field("detail", e.detail()).close('}');
      }
      j.close(']');
      j.key("throughput").open('[');
      for (long[] sample : samples) {
        j.open('[').value(sample[0]).value(sample[1]).close(']');
      }
      j.close(']');
    }
    return j.close('}').toString();
  }
}
