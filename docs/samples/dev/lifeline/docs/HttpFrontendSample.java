package dev.lifeline.docs;

import dev.lifeline.LifelineServer;
import dev.lifeline.ServerEventListener;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.SessionInfo;
import dev.lifeline.http.Access;
import dev.lifeline.http.HttpFrontend;
import dev.lifeline.store.FileCheckpointStore;
import dev.lifeline.transfer.FileTransferServer;
import java.nio.file.Path;
import java.util.concurrent.atomic.LongAdder;

/** docs/http.md: HTTPS beside Lifeline on one port, and the event SPI behind the metrics. */
final class HttpFrontendSample {
  private HttpFrontendSample() {}

  static LifelineServer oneServerTwoProtocols(Path dataDir) throws Exception {
    FileTransferServer files = FileTransferServer.builder(dataDir.resolve("files")).build();
    return LifelineServer.builder()
        .port(7443)
        .tls(ServerTlsConfig.builder().developmentCertificates(dataDir.resolve("tls")).build())
        .store(FileCheckpointStore.open(dataDir.resolve("sessions")))
        .handler(files.handler())
        // ALPN "http/1.1" or no ALPN: /files/NAME, / (status page), /status.json, /metrics
        .http(HttpFrontend.builder(files)
            .statusAccess(Access.LOOPBACK)        // the default
            .metricsAccess(Access.LOOPBACK_OR_CLIENT_CERTIFICATE)
            .build())
        .start();
  }

  static void ownEvents(LifelineServer.Builder builder) {
    LongAdder refused = new LongAdder();
    builder.events(new ServerEventListener() {
      @Override
      public void resumeRefused(String sessionId, dev.lifeline.ErrorCode code, long nanos) {
        refused.increment();
      }
    });
  }

  static long replayBufferBytes(LifelineServer server) {
    return server.sessions().stream().mapToLong(SessionInfo::replayBufferedBytes).sum();
  }
}
