package dev.lifeline.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flat snapshots through the real store: a store with no (or few) records compacts to a small
 * checksummed file instead of a MapDB file, recovers from it without loading MapDB, and keeps
 * every promise of a MapDB snapshot (two bases kept, damaged ones set aside, no empty open in
 * place of lost data).
 */
class FlatSnapshotTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(1_700_000_000_000L);
  private final List<FileCheckpointStore> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(FileCheckpointStore::close);
  }

  private FileCheckpointStore open(FileCheckpointStore.Builder b) throws StoreException {
    FileCheckpointStore s = b.build();
    opened.add(s);
    return s;
  }

  private FileCheckpointStore open() throws StoreException {
    return open(FileCheckpointStore.builder(dir).clock(clock));
  }

  private SessionRecord record(String id) {
    return SessionRecord.builder(id).secret(new byte[] {1, 2, 3}).identity("CN=" + id)
        .lastActiveMillis(clock.millis()).build();
  }

  private static Checkpoint cp(String id, long position) {
    return Checkpoint.of(position, (id + "#" + position).getBytes(StandardCharsets.UTF_8));
  }

  /** What a client does per transfer: store the session, checkpoint it, delete it. */
  private static void transfer(FileCheckpointStore s, String id, SessionRecord r) {
    s.put(r).join();
    s.commit(id, cp(id, 1)).join();
    s.commit(id, cp(id, 2)).join();
    s.delete(id).join();
  }

  private List<Path> files(String glob) throws IOException {
    List<Path> out = new ArrayList<>();
    try (var stream = Files.newDirectoryStream(dir, glob)) {
      stream.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  private long journalBytes() throws IOException {
    long sum = 0;
    for (Path p : files("journal-*.log")) {
      sum += Files.size(p);
    }
    return sum;
  }

  @Test
  void anEmptiedStoreCompactsToAFlatSnapshotAndRecoversFromIt() throws Exception {
    FileCheckpointStore store = open();
    for (int i = 0; i < 50; i++) {
      transfer(store, "t-" + i, record("t-" + i));
    }
    store.compact().join();
    assertEquals(List.of(), files("snapshot-*.db"));
    List<Path> flat = files("snapshot-*.flat");
    assertEquals(1, flat.size());
    assertEquals(28, Files.size(flat.get(0)));
    assertTrue(flat.get(0).getFileName().toString().endsWith(String.format("%020d.flat", 200)),
        flat.toString());
    store.put(record("after")).join();
    store.commit("after", cp("after", 7)).join();
    store.close();

    FileCheckpointStore reopened = open();
    assertEquals(List.of("after"), reopened.ids().join());
    assertEquals(cp("after", 7), reopened.load("after").join().orElseThrow().checkpoint());
    assertEquals(Optional.empty(), reopened.load("t-3").join());
    reopened.commit("after", cp("after", 8)).join(); // sequences continue after the base
  }

  @Test
  void aSmallStoreIsFlatAndALargeOneMapDb() throws Exception {
    FileCheckpointStore store = open(FileCheckpointStore.builder(dir).clock(clock)
        .flatSnapshotMaxBytes(2048));
    for (int i = 0; i < 10; i++) {
      store.put(record("s-" + i)).join();
      store.commit("s-" + i, cp("s-" + i, i + 1)).join();
    }
    store.compact().join();
    assertEquals(1, files("snapshot-*.flat").size());
    for (int i = 10; i < 40; i++) {
      store.put(record("s-" + i)).join();
      store.commit("s-" + i, cp("s-" + i, i + 1)).join();
    }
    store.compact().join(); // 40 records are more than 2 KiB
    assertEquals(1, files("snapshot-*.db").size());
    store.close();
    // drop the journal the MapDB snapshot covers, so the records can only come from it
    List<Path> segments = files("journal-*.log");
    Files.delete(segments.get(0));

    FileCheckpointStore reopened = open();
    for (int i = 0; i < 40; i++) {
      assertEquals(cp("s-" + i, i + 1), reopened.load("s-" + i).join().orElseThrow().checkpoint());
    }
  }

  @Test
  void twoBasesAreKeptWhatEverTheirKind() throws Exception {
    FileCheckpointStore store = open();
    for (int round = 0; round < 6; round++) {
      transfer(store, "t-" + round, record("t-" + round));
      store.compact().join();
    }
    assertEquals(2, files("snapshot-*.flat").size());
    // every segment after the older base is kept, older ones are gone
    assertEquals(2, files("journal-*.log").size(), files("journal-*.log").toString());
  }

  @Test
  void aDamagedNewestFlatSnapshotIsSetAsideAndTheOlderBaseUsed() throws Exception {
    FileCheckpointStore store = open();
    store.put(record("kept")).join();
    store.commit("kept", cp("kept", 1)).join();
    store.compact().join();
    transfer(store, "gone", record("gone"));
    store.commit("kept", cp("kept", 5)).join();
    store.compact().join();
    store.close();
    List<Path> flat = files("snapshot-*.flat");
    assertEquals(2, flat.size());
    Path newest = flat.get(1);
    flipByte(newest, 20);

    FileCheckpointStore reopened = open();
    assertEquals(cp("kept", 5), reopened.load("kept").join().orElseThrow().checkpoint());
    assertEquals(Optional.empty(), reopened.load("gone").join());
    assertFalse(Files.exists(newest));
    assertTrue(Files.exists(newest.resolveSibling(newest.getFileName() + ".damaged")));
  }

  @Test
  void aDamagedEmptyBaseNeverOpensEmptyWhenTheJournalNoLongerCoversIt() throws Exception {
    FileCheckpointStore store = open();
    for (int round = 0; round < 4; round++) {
      store.put(record("r-" + round)).join();
      store.compact().join();
      store.delete("r-" + round).join();
      store.compact().join(); // an empty base, then a one-record base, alternating
    }
    store.put(record("last")).join();
    store.close();
    List<Path> flat = files("snapshot-*.flat");
    assertEquals(2, flat.size());
    for (Path p : flat) {
      Files.write(p, new byte[0]); // as if the file system lost both
    }
    StoreCorruptedException e = assertThrows(StoreCorruptedException.class, this::open);
    assertEquals(flat.get(1), e.file());
    assertEquals(flat, files("snapshot-*.flat")); // nothing renamed or deleted
    assertEquals(List.of(), files("*.damaged"));
  }

  @Test
  void aDamagedNewestFlatSnapshotFallsBackToAnOlderMapDbSnapshot() throws Exception {
    FileCheckpointStore store = open(FileCheckpointStore.builder(dir).clock(clock)
        .flatSnapshotMaxBytes(-1));
    store.put(record("a")).join();
    store.commit("a", cp("a", 1)).join();
    store.compact().join();
    store.close();
    store = open();
    store.commit("a", cp("a", 2)).join();
    store.compact().join();
    store.commit("a", cp("a", 3)).join();
    store.close();
    assertEquals(1, files("snapshot-*.db").size());
    Path flat = files("snapshot-*.flat").get(0);
    flipByte(flat, 9);

    assertEquals(cp("a", 3), open().load("a").join().orElseThrow().checkpoint());
    assertTrue(Files.exists(flat.resolveSibling(flat.getFileName() + ".damaged")));
  }

  @Test
  void anUnfinishedFlatSnapshotIsRemovedOnOpen() throws Exception {
    FileCheckpointStore store = open();
    transfer(store, "t", record("t"));
    store.put(record("live")).join();
    store.close();
    Path tmp = dir.resolve(String.format("snapshot-%020d.flat.tmp", 5));
    Files.write(tmp, new byte[] {'L', 'L'});
    FileCheckpointStore reopened = open();
    assertEquals(List.of("live"), reopened.ids().join());
    assertFalse(Files.exists(tmp));
  }

  @Test
  void manyShortRunsKeepTheJournalBounded() throws Exception {
    long snapshotAfter = 4096;
    long largest = 0;
    for (int run = 0; run < 150; run++) {
      try (FileCheckpointStore s = FileCheckpointStore.builder(dir).clock(clock)
          .snapshotAfterBytes(snapshotAfter).build()) {
        assertEquals(List.of(), s.ids().join());
        transfer(s, "run-" + run, record("run-" + run));
      }
      largest = Math.max(largest, journalBytes());
    }
    // one run writes ~200 bytes: 150 runs wrote ~30 KB, but the journal keeps at most what came
    // after the older of two snapshots, each taken after snapshotAfter bytes (plus one run)
    assertTrue(largest < 3 * snapshotAfter, "journal grew to " + largest + " bytes");
    assertEquals(List.of(), files("snapshot-*.db"));
    assertEquals(2, files("snapshot-*.flat").size());
  }

  @Test
  void openingAFlatBaseLoadsNoMapDbClasses() throws Exception {
    // the child runs on the system clock: these records must not have expired there
    long now = System.currentTimeMillis();
    SessionRecord a = SessionRecord.builder("a").lastActiveMillis(now).build();
    SessionRecord b = SessionRecord.builder("b").lastActiveMillis(now).build();
    // a store whose base is an empty flat snapshot, followed by some journal
    try (FileCheckpointStore s = FileCheckpointStore.builder(dir).build()) {
      transfer(s, "a", a);
      s.compact().join();
      s.put(b).join();
    }
    assertEquals(1, files("snapshot-*.flat").size());
    List<String> loaded = runClientCycleChild(dir);
    assertEquals(List.of(), thirdPartyStoreClasses(loaded));

    // the same child on a store with a MapDB base does load them: the check can fail
    Path mapDb = dir.resolve("mapdb-store"); // a second store, inside this test's directory
    try (FileCheckpointStore s = FileCheckpointStore.builder(mapDb).flatSnapshotMaxBytes(-1)
        .build()) {
      s.put(b).join();
      s.compact().join();
    }
    List<String> loadedWithMapDb = runClientCycleChild(mapDb);
    assertTrue(thirdPartyStoreClasses(loadedWithMapDb).stream()
        .anyMatch(c -> c.startsWith("org.mapdb.")), "MapDB not seen loading");
  }

  /** Runs {@link ClientCycleChild} with class loading logged; returns the loaded class names. */
  private static List<String> runClientCycleChild(Path store) throws Exception {
    Process child = ChildJvm.start(List.of("-Xlog:class+load=info:stdout"),
        ClientCycleChild.class, store.toString());
    List<String> classes = new ArrayList<>();
    String done = null;
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        int start = line.indexOf("][class,load] ");
        if (start >= 0) {
          String rest = line.substring(start + "][class,load] ".length());
          classes.add(rest.split(" ", 2)[0]);
        } else if (line.startsWith("DONE ")) {
          done = line;
        }
      }
    }
    assertTrue(child.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, child.exitValue());
    assertEquals("DONE 1", done); // it found "b" and did its cycle
    assertTrue(classes.contains(FileCheckpointStore.class.getName()), "no class log seen");
    return classes;
  }

  private static List<String> thirdPartyStoreClasses(List<String> classes) {
    return classes.stream().filter(c -> c.startsWith("org.mapdb.") || c.startsWith("kotlin.")
        || c.startsWith("org.eclipse.collections.")).toList();
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, offset);
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (b.get(0) ^ 0x40)}), offset);
    }
  }
}
