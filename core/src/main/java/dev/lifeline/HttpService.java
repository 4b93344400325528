package dev.lifeline;

/**
 * Serves HTTP/1.1 on a {@link LifelineServer}'s port, beside the Lifeline protocol: connections
 * whose TLS handshake chose {@code http/1.1} by ALPN, or chose no protocol at all (browsers, curl,
 * monitoring), are handed to it; those that chose {@code lifeline/1} get Lifeline sessions.
 *
 * <p>Applications do not implement this interface: they take an implementation from the
 * {@code lifeline-http} module ({@code dev.lifeline.http.HttpFrontend}) and give it to {@link
 * LifelineServer.Builder#http}.
 *
 * <pre>{@code
 * HttpService http = HttpFrontend.builder(files).build();
 * LifelineServer server = LifelineServer.builder().handler(files.handler()).http(http)...start();
 * }</pre>
 */
public interface HttpService {
}
