package dev.lifeline.docs;

import dev.lifeline.testing.ChaosSpec;
import dev.lifeline.testing.ChaosSpec.Mode;
import dev.lifeline.testing.FaultProxy;
import java.io.IOException;

/** Quoted by docs/fault-injection.md: a test putting a FaultProxy between client and server. */
public final class FaultProxySample {
  private FaultProxySample() {}

  /** Something that connects to a port and runs to completion, e.g. a whole file upload. */
  public interface Transfer {
    void run(int port) throws IOException;
  }

  // tag::proxy[]
  static void survivesThreeCuts(int serverPort, Transfer upload) throws IOException {
    try (FaultProxy proxy = FaultProxy.start("127.0.0.1", serverPort)) {
      proxy.setPlan(ChaosSpec.parse("cut=256K..4M,mode=mix,count=3"), 42);
      upload.run(proxy.port()); // the client dials the proxy, not the server
      if (proxy.cuts() != 3) {
        throw new AssertionError("expected 3 cuts, got " + proxy.cuts());
      }
    } // close() ends every connection and joins every proxy thread
  }

  static void halfOpenPeerIsDetected(FaultProxy proxy) {
    proxy.blackholeAll(); // no RST, no FIN: only the heartbeat can notice
    proxy.cutAll(Mode.RST); // later: a silent connection may still be reset
  }
  // end::proxy[]
}
