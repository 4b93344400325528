package dev.lifeline;

/**
 * Decides who a connecting client is. The identity it returns is bound to every session the
 * client opens: a resume from any other identity is refused with {@link
 * ErrorCode#FOREIGN_SESSION}, even with the right token.
 *
 * <p>The default identity is the subject of the client certificate when mutual TLS is on, and
 * the empty (anonymous) identity otherwise.
 *
 * <pre>{@code
 * Authenticator apiKeys = (peer, credentials) -> {
 *   String user = keys.lookup(credentials);
 *   if (user == null) {
 *     throw new AuthenticationException("unknown API key");
 *   }
 *   return user;
 * };
 * }</pre>
 */
@FunctionalInterface
public interface Authenticator {

  /**
   * Returns the identity of the client, given what TLS established about it and the credentials
   * it sent with OPEN or RESUME (empty if none).
   *
   * @throws AuthenticationException to refuse the client
   */
  String authenticate(Peer peer, byte[] credentials) throws AuthenticationException;

  /** The identity the default rules give: the client certificate's subject, or "". */
  Authenticator DEFAULT = (peer, credentials) ->
      peer.certificateSubject() == null ? "" : peer.certificateSubject();

  /**
   * What the server knows about a client before authentication.
   *
   * @param remoteAddress the client's address as "host:port"
   * @param certificateSubject the verified client certificate's subject, or {@code null}
   */
  record Peer(String remoteAddress, String certificateSubject) {}

  /** Refuses a client; the message is sent to it as the CLOSE reason. */
  final class AuthenticationException extends Exception {
    private static final long serialVersionUID = 1L;

    public AuthenticationException(String message) {
      super(message);
    }
  }
}
