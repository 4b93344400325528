package dev.lifeline.docs;

import dev.lifeline.Authenticator;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionRefusedException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/** Quoted by docs/protocol.md: backpressure, refusals and identity binding seen from the API. */
public final class SessionProtocolSample {
  private SessionProtocolSample() {}

  // tag::backpressure[]
  /** Sends every chunk without ever blocking the caller: stops when full, continues when not. */
  static void pump(Session session, Iterator<byte[]> chunks) throws LifelineException {
    while (chunks.hasNext()) {
      byte[] chunk = chunks.next();
      if (session.trySend(chunk) == null) { // the replay buffer is full
        session.onWritable(() -> {
          try {
            session.send(chunk); // there is room now
            pump(session, chunks);
          } catch (InterruptedException | LifelineException e) {
            session.abort();
          }
        });
        return;
      }
    }
  }
  // end::backpressure[]

  // tag::refusal[]
  static Session openOrExplain(LifelineClient client, String job, SessionHandler handler)
      throws InterruptedException {
    try {
      return client.open(job, handler).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SessionRefusedException refused) {
        switch (refused.code()) {
          case EXPIRED_SESSION, UNKNOWN_SESSION ->
              System.err.println("the server no longer has job " + job + "; start it again");
          case FOREIGN_SESSION, TOKEN_REUSED, INVALID_TOKEN ->
              System.err.println("refused for security reasons: " + refused.getMessage());
          default -> System.err.println("refused: " + refused.getMessage());
        }
      }
      return null;
    }
  }
  // end::refusal[]

  // tag::identity[]
  /** API keys to users: a session opened with one user's key cannot be resumed with another's. */
  static Authenticator apiKeys(Map<String, String> userByKey) {
    return (peer, credentials) -> {
      String user = userByKey.get(new String(credentials, java.nio.charset.StandardCharsets.UTF_8));
      if (user == null) {
        throw new Authenticator.AuthenticationException("unknown API key");
      }
      return user; // bound to every session this client opens
    };
  }
  // end::identity[]
}
