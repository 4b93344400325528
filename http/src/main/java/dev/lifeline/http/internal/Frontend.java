package dev.lifeline.http.internal;

import dev.lifeline.Authenticator;
import dev.lifeline.HandshakeListener;
import dev.lifeline.ServerEventListener;
import dev.lifeline.http.Access;
import dev.lifeline.internal.http.HttpEndpoint;
import dev.lifeline.internal.http.ServerView;
import dev.lifeline.internal.session.SafeServerEvents;
import dev.lifeline.transfer.FileTransferServer;
import dev.lifeline.transfer.internal.StoredChecksums;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP side of one server: its settings, metrics and status tracker, and the pipeline every
 * HTTP connection gets.
 */
public final class Frontend implements HttpEndpoint {
  static final int LISTING_THREADS = 16;
  /** What {@code HttpFrontend.Builder} collected. */
  public record Settings(FileTransferServer files, Authenticator authenticator,
      Access statusAccess, Access metricsAccess, Duration idleTimeout, int maxRequestBytes) {}

  private final Settings settings;
  private final LifelineMetrics metrics = new LifelineMetrics();
  private final StatusTracker status = new StatusTracker(Clock.systemUTC());
  private final FileResponder files;
  private final ServerEventListener events;
  private final HandshakeListener handshakes;
  private ScheduledExecutorService sampler; // guarded by this
  /**
   * Directory listings walk (and may hash) on these threads, never on the event loop; more
   * listings at once than threads wait their turn. A listing whose client stops reading holds its
   * thread until the idle timeout closes the connection, hence more threads than cores.
   */
  private final ThreadPoolExecutor listers = new ThreadPoolExecutor(LISTING_THREADS,
      LISTING_THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "lifeline-http-listing");
        t.setDaemon(true);
        return t;
      });

  public Frontend(Settings settings) {
    this.settings = settings;
    listers.allowCoreThreadTimeOut(true);
    Path filesDir = settings.files().filesDir();
    this.files = new FileResponder(filesDir, new ListingResponder(filesDir,
        file -> StoredChecksums.sha256(settings.files(), file), listers));
    this.events = new SafeServerEvents(List.of(metrics, status));
    this.handshakes = metrics.andThen(status);
  }

  @Override
  public synchronized void serverStarted(ServerView server) {
    if (sampler != null) {
      throw new IllegalStateException("this HttpService already serves a server");
    }
    metrics.bind(server, settings.files());
    status.bind(server, settings.files());
    sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lifeline-http-status");
      t.setDaemon(true);
      return t;
    });
    sampler.scheduleAtFixedRate(status::sample, 1, 1, TimeUnit.SECONDS);
  }

  @Override
  public void initHttpPipeline(ChannelPipeline p) {
    p.addLast("http-idle", new IdleStateHandler(0, 0, settings.idleTimeout().toMillis(),
            TimeUnit.MILLISECONDS))
        .addLast("http-codec", new HttpServerCodec(4096, settings.maxRequestBytes(), 8192))
        // GET and HEAD carry no body; a request with a larger one is answered 413 and closed.
        .addLast("http-aggregator", new HttpObjectAggregator(8192, true))
        .addLast("http-chunked", new ChunkedWriteHandler())
        .addLast("http-handler", new HttpRequestHandler(this));
  }

  @Override
  public HandshakeListener handshakeListener() {
    return handshakes;
  }

  @Override
  public ServerEventListener events() {
    return events;
  }

  @Override
  public synchronized void serverStopped() {
    if (sampler != null) {
      sampler.shutdownNow();
    }
    listers.shutdownNow();
  }

  Settings settings() {
    return settings;
  }

  FileResponder files() {
    return files;
  }

  StatusTracker status() {
    return status;
  }

  LifelineMetrics metrics() {
    return metrics;
  }
}
