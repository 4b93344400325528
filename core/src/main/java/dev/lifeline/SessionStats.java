package dev.lifeline;

/**
 * A snapshot of one session's counters.
 *
 * @param reconnects connections lost and resumed
 * @param resentBytes message bytes sent again from the replay buffer after a resume
 * @param rewinds times the outbound stream went back to the peer's checkpoint
 * @param tlsFull full TLS handshakes on this session's connections
 * @param tlsResumed abbreviated (resumed) TLS handshakes
 * @param bytesSent message bytes sent, excluding resends
 * @param bytesReceived message bytes delivered to the handler
 * @param replayWindowBytes the replay buffer's bound now: the configured size, or more after it
 *     grew to the path's bandwidth-delay product (docs/protocol.md "Keeping a long pipe full")
 */
public record SessionStats(
    long reconnects,
    long resentBytes,
    long rewinds,
    long tlsFull,
    long tlsResumed,
    long bytesSent,
    long bytesReceived,
    long replayWindowBytes) {}
