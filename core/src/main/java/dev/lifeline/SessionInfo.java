package dev.lifeline;

import java.util.Objects;

/**
 * A snapshot of one server session, as {@link LifelineServer#sessions()} returns it.
 *
 * @param id the session id
 * @param identity who opened it (the authenticator's answer; empty for anonymous clients)
 * @param connected whether a connection is attached now
 * @param remoteAddress the client's "host:port" while connected, empty otherwise
 * @param stats the session's counters
 * @param replayBufferedBytes unacknowledged message bytes held for resend
 */
public record SessionInfo(String id, String identity, boolean connected, String remoteAddress,
    SessionStats stats, long replayBufferedBytes) {
  public SessionInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(remoteAddress, "remoteAddress");
    Objects.requireNonNull(stats, "stats");
  }
}
