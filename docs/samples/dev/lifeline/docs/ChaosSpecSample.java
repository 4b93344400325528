package dev.lifeline.docs;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.LifelineClient;
import dev.lifeline.testing.Chaos;
import dev.lifeline.testing.ChaosSpec;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Quoted by docs/fault-injection.md: reading a chaos spec and drawing cuts from it, and a client
 * that cuts its own connections.
 */
public final class ChaosSpecSample {
  private ChaosSpecSample() {}

  public static void main(String[] args) {
    // tag::spec[]
    ChaosSpec spec = ChaosSpec.parse("cut=8M..64M,mode=mix,count=3");
    RandomGenerator random = new SplittableRandom(42); // same seed, same cuts
    for (int i = 0; i < spec.count(); i++) {
      ChaosSpec.Cut cut = spec.nextCut(random);
      System.out.printf("connection %d: %s after %,d bytes%n", i + 1, cut.mode(), cut.afterBytes());
    }
    System.out.println(spec); // canonical form: cut=8M..64M,mode=mix,count=3
    // end::spec[]
  }

  static LifelineClient clientThatCutsItself(ClientTlsConfig tls) throws IOException {
    // tag::builtin[]
    Chaos chaos = Chaos.of(ChaosSpec.parse("cut=8M..64M,mode=mix,count=3"), 42); // seeded
    LifelineClient client = chaos.install(LifelineClient.builder())
        .server("localhost", 7443)
        .tls(tls)
        .build();
    // ... later: chaos.cuts() is how many connections it has cut, chaos.cuts(Mode.RST) of one kind
    // end::builtin[]
    return client;
  }
}
