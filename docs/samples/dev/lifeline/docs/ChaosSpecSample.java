package dev.lifeline.docs;

import dev.lifeline.ChaosSpec;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/** Quoted by docs/fault-injection.md: reading a chaos spec and drawing cuts from it. */
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
}
