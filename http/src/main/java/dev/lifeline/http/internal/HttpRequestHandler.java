package dev.lifeline.http.internal;

import dev.lifeline.Authenticator;
import dev.lifeline.http.Access;
import dev.lifeline.internal.tls.TlsChannelInfo;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tail of an HTTP connection's pipeline: checks access and routes each request to the file
 * responder, the status page, its JSON document or the metrics. One request at a time (the
 * aggregator in front hands over complete requests).
 */
final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(HttpRequestHandler.class);
  static final String FILES_PREFIX = "/files/";
  static final String HTML = "text/html; charset=utf-8";
  static final String JSON = "application/json";
  static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
  /** No external anything: the page's own inline script and style, and fetches to this origin. */
  static final String PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; "
      + "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; "
      + "form-action 'none'; frame-ancestors 'none'";

  private final Frontend frontend;

  HttpRequestHandler(Frontend frontend) {
    this.frontend = frontend;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (req.decoderResult().isFailure()) {
      Responses.send(ctx, Responses.error(HttpResponseStatus.BAD_REQUEST,
          "malformed request", false), false);
      return;
    }
    boolean head = req.method().equals(HttpMethod.HEAD);
    if (!head && !req.method().equals(HttpMethod.GET)) {
      var r = Responses.error(HttpResponseStatus.METHOD_NOT_ALLOWED,
          req.method() + " is not served here; use GET or HEAD", false);
      r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
      Responses.send(ctx, r, keepAlive);
      return;
    }
    String path;
    try {
      path = new QueryStringDecoder(req.uri(), StandardCharsets.UTF_8).path();
    } catch (IllegalArgumentException e) {
      Responses.send(ctx, Responses.error(HttpResponseStatus.BAD_REQUEST,
          "malformed path", head), keepAlive);
      return;
    }
    if (path.equals("/files")) {
      var r = Responses.error(HttpResponseStatus.MOVED_PERMANENTLY, "the listing is at /files/",
          head);
      r.headers().set(HttpHeaderNames.LOCATION, FILES_PREFIX);
      Responses.send(ctx, r, keepAlive);
      return;
    }
    if (path.startsWith(FILES_PREFIX)) {
      serveFiles(ctx, req, head, keepAlive);
      return;
    }
    switch (path) {
      case "/", "/index.html" -> guarded(ctx, frontend.settings().statusAccess(), head, keepAlive,
          HTML, () -> StatusPage.HTML, true);
      case "/status.json" -> guarded(ctx, frontend.settings().statusAccess(), head, keepAlive,
          JSON, frontend.status()::json, false);
      case "/metrics" -> guarded(ctx, frontend.settings().metricsAccess(), head, keepAlive,
          PROMETHEUS, frontend.metrics()::scrape, false);
      default -> Responses.send(ctx, Responses.error(HttpResponseStatus.NOT_FOUND,
          "nothing at " + shorten(path), head), keepAlive);
    }
  }

  /** {@code /files/...}: a file of the files directory or a listing, for authorized clients. */
  private void serveFiles(ChannelHandlerContext ctx, FullHttpRequest req, boolean head,
      boolean keepAlive) {
    String refusal = authorizeDownload(ctx.channel(), req);
    if (refusal != null) {
      var r = Responses.error(HttpResponseStatus.UNAUTHORIZED, refusal, head);
      r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"lifeline\"");
      Responses.send(ctx, r, keepAlive);
      return;
    }
    FilesPath files;
    try {
      // The raw URI, not the decoded path: components are decoded one by one (FilesPath).
      if (!req.uri().startsWith(FILES_PREFIX)) {
        throw new FilesPath.Refused("malformed path");
      }
      files = FilesPath.parse(req.uri().substring(FILES_PREFIX.length()),
          frontend.files().filesDir());
    } catch (FilesPath.Refused e) {
      Responses.send(ctx, Responses.error(HttpResponseStatus.BAD_REQUEST, e.getMessage(), head),
          keepAlive);
      return;
    }
    frontend.files().serve(ctx, req, files, keepAlive);
  }

  private void guarded(ChannelHandlerContext ctx, Access access, boolean head, boolean keepAlive,
      String type, java.util.function.Supplier<String> body, boolean page) {
    if (access == Access.NOBODY) {
      Responses.send(ctx, Responses.error(HttpResponseStatus.NOT_FOUND, "not served", head),
          keepAlive);
      return;
    }
    if (!allowed(ctx.channel(), access)) {
      Responses.send(ctx, Responses.error(HttpResponseStatus.FORBIDDEN,
          "only for " + describe(access), head), keepAlive);
      return;
    }
    var r = Responses.text(HttpResponseStatus.OK, type, body.get(), head);
    if (page) {
      r.headers().set("Content-Security-Policy", PAGE_POLICY);
      r.headers().set("Referrer-Policy", "no-referrer");
    }
    Responses.send(ctx, r, keepAlive);
  }

  static boolean allowed(Channel ch, Access access) {
    boolean loopback = ch.remoteAddress() instanceof InetSocketAddress a
        && a.getAddress() != null && a.getAddress().isLoopbackAddress();
    boolean certificate = TlsChannelInfo.peerCertificateSubject(ch) != null;
    return switch (access) {
      case LOOPBACK -> loopback;
      case CLIENT_CERTIFICATE -> certificate;
      case LOOPBACK_OR_CLIENT_CERTIFICATE -> loopback || certificate;
      case ANYONE -> true;
      case NOBODY -> false;
    };
  }

  private static String describe(Access access) {
    return switch (access) {
      case LOOPBACK -> "clients on this machine (loopback)";
      case CLIENT_CERTIFICATE -> "clients with a certificate";
      case LOOPBACK_OR_CLIENT_CERTIFICATE -> "loopback clients or clients with a certificate";
      default -> access.name();
    };
  }

  /** Runs the server's authenticator; returns why the client is refused, or null. */
  private String authorizeDownload(Channel ch, FullHttpRequest req) {
    String remote = ch.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(ch.remoteAddress());
    Authenticator.Peer peer = new Authenticator.Peer(remote,
        TlsChannelInfo.peerCertificateSubject(ch));
    try {
      frontend.settings().authenticator().authenticate(peer,
          credentials(req.headers().get(HttpHeaderNames.AUTHORIZATION)));
      return null;
    } catch (Authenticator.AuthenticationException e) {
      log.info("download refused for {}: {}", remote, e.getMessage());
      return e.getMessage() == null ? "not authorized" : e.getMessage();
    } catch (RuntimeException e) {
      log.warn("authenticator failed for {}: {}", remote, e.toString());
      return "authentication failed";
    }
  }

  /**
   * The credentials a Lifeline client would send in OPEN: a Bearer token's bytes, or Basic's
   * decoded "user:password"; empty without an Authorization header.
   */
  static byte[] credentials(String authorization) {
    if (authorization == null) {
      return new byte[0];
    }
    String a = authorization.trim();
    if (a.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return a.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    }
    if (a.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        return Base64.getDecoder().decode(a.substring(6).trim());
      } catch (IllegalArgumentException e) {
        return new byte[0];
      }
    }
    return a.getBytes(StandardCharsets.UTF_8);
  }

  private static String shorten(String path) {
    return dev.lifeline.transfer.internal.FileNames.printable(path);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("HTTP connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
