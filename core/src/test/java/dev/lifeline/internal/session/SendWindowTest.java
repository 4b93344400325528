package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SendWindowTest {
  private static final long MIB = 1 << 20;
  private static final long MS = 1_000_000L;

  /**
   * Drives one round the way a window-limited sender sees it: stopped by the bound with all
   * written, then a whole window acknowledged {@code millis} later.
   */
  private static long limitedRound(SendWindow w, long now, long millis) {
    w.noRoom(now, true);
    long end = now + millis * MS;
    w.acked(end, w.limit(), 1);
    return end;
  }

  @Test
  void doublesEachRoundWhileTheWindowLimitsAndDeliversFaster() {
    SendWindow w = new SendWindow(new ReplayGrowth(32 * MIB, 256 * MIB, 1L << 30));
    long now = 0;
    // Round trip 80 ms: each doubled window delivers twice as much per round trip.
    now = limitedRound(w, now, 80);
    assertEquals(64 * MIB, w.limit());
    now = limitedRound(w, now, 80);
    assertEquals(128 * MIB, w.limit());
    now = limitedRound(w, now, 80);
    assertEquals(256 * MIB, w.limit());
    limitedRound(w, now, 80);
    assertEquals(256 * MIB, w.limit(), "never past the maximum");
  }

  @Test
  void doesNotGrowWhenTheSocketIsWhatStopsTheSender() {
    SendWindow w = new SendWindow(new ReplayGrowth(32 * MIB, 256 * MIB, 1L << 30));
    w.noRoom(0, false); // messages still waiting for a writable connection
    w.acked(80 * MS, 32 * MIB, 1);
    assertEquals(32 * MIB, w.limit());
  }

  @Test
  void doesNotGrowWhenNothingWasHeldBack() {
    SendWindow w = new SendWindow(new ReplayGrowth(32 * MIB, 256 * MIB, 1L << 30));
    w.acked(80 * MS, 32 * MIB, 1);
    w.acked(160 * MS, 32 * MIB, 1);
    assertEquals(32 * MIB, w.limit());
  }

  /** A limited round that delivers a whole window at {@code mibPerSecond}. */
  private static long roundAt(SendWindow w, long now, double mibPerSecond) {
    long millis = Math.round(w.limit() / (double) MIB * 1000 / mibPerSecond);
    return limitedRound(w, now, millis);
  }

  @Test
  void stopsGrowingWhenABiggerWindowNoLongerDeliversFaster() {
    SendWindow w = new SendWindow(new ReplayGrowth(1 * MIB, 1024 * MIB, 1L << 40));
    long now = roundAt(w, 0, 100);
    assertEquals(2 * MIB, w.limit());
    now = roundAt(w, now, 100); // the same rate: the path is full
    assertEquals(4 * MIB, w.limit(), "grown while the round ran; one fruitless round forgiven");
    now = roundAt(w, now, 100);
    assertEquals(8 * MIB, w.limit(), "the second fruitless round stops the growth after it");
    now = roundAt(w, now, 100);
    assertEquals(8 * MIB, w.limit());
    w.newPath();
    roundAt(w, now + 100 * MS, 100);
    assertEquals(16 * MIB, w.limit(), "a new connection may grow again");
  }

  @Test
  void growsAgainOnceDeliveryGetsFasterAfterAPlateau() {
    SendWindow w = new SendWindow(new ReplayGrowth(1 * MIB, 1024 * MIB, 1L << 40));
    long now = roundAt(w, 0, 100);
    now = roundAt(w, now, 100);
    now = roundAt(w, now, 100);
    assertEquals(8 * MIB, w.limit(), "stopped");
    now = roundAt(w, now, 111); // 11% faster than the reference: not enough
    now = roundAt(w, now, 112);
    assertEquals(8 * MIB, w.limit());
    now = roundAt(w, now, 125); // 25% faster than the reference (the receiver warmed up)
    assertEquals(8 * MIB, w.limit(), "the gain is seen at the round's end");
    roundAt(w, now, 125);
    assertEquals(16 * MIB, w.limit(), "slow gains add up against a fixed reference");
  }

  @Test
  void growsWithinARoundAsAcknowledgementsArrive() {
    SendWindow w = new SendWindow(new ReplayGrowth(8 * MIB, 1024 * MIB, 1L << 40));
    w.noRoom(0, true);
    w.acked(10 * MS, 2 * MIB, 6 * MIB);
    assertEquals(10 * MIB, w.limit(), "each acknowledged byte of a limited round adds one");
    w.acked(20 * MS, 2 * MIB, 6 * MIB);
    assertEquals(12 * MIB, w.limit());
  }

  @Test
  void takesGrowthFromTheBudgetAndGivesItBack() {
    ReplayGrowth budget = new ReplayGrowth(32 * MIB, 256 * MIB, 48 * MIB);
    SendWindow a = new SendWindow(budget);
    SendWindow b = new SendWindow(budget);
    limitedRound(a, 0, 80);
    assertEquals(64 * MIB, a.limit());
    limitedRound(b, 0, 80);
    assertEquals(48 * MIB, b.limit(), "only what was left of the budget");
    assertEquals(0, budget.availableBytes());
    a.release();
    assertEquals(32 * MIB, a.limit());
    assertEquals(32 * MIB, budget.availableBytes());
  }

  @Test
  void shrinksBackOnceEmptyAndIdle() {
    ReplayGrowth budget = new ReplayGrowth(32 * MIB, 256 * MIB, 1L << 30);
    SendWindow w = new SendWindow(budget);
    long now = limitedRound(w, 0, 80);
    assertEquals(64 * MIB, w.limit());
    w.acked(now + MS, 1, 0); // emptied at once: not idle yet
    assertEquals(64 * MIB, w.limit());
    w.acked(now + SendWindow.IDLE_NANOS + MS, 1, 0);
    assertEquals(32 * MIB, w.limit());
    assertEquals(1L << 30, budget.availableBytes());
  }

  @Test
  void aFixedBoundNeverGrows() {
    SendWindow w = new SendWindow(ReplayGrowth.fixed(4 * MIB));
    limitedRound(w, 0, 80);
    assertEquals(4 * MIB, w.limit());
  }
}
