package dev.lifeline.bench;

import dev.lifeline.ClientTlsConfig;
import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.FileCheckpointStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Issue 6, case 5: many concurrent idle sessions in one server, in two JVMs. Not a test (no JUnit
 * annotations, not run by surefire); {@code bench/idle-sessions.sh} builds the class path and runs
 * {@code run}.
 *
 * <pre>
 * java -cp CP dev.lifeline.bench.IdleSessionsBench run [--sessions 10000] [--warmup 200]
 *     [--concurrency 256] [--clients 2] [--cut-processes 8]
 *     [--warmup-storms 5] [--dir DIR] [--server-heap 2g] [--tls-groups x25519,...]
 * </pre>
 *
 * <p>{@code run} starts the server ({@code server DIR}: a {@link LifelineServer} with defaults, the
 * file checkpoint store and the development certificate, echoing every message) as a child JVM,
 * then in this JVM opens the sessions from {@code --clients} (default 2) {@link LifelineClient}s
 * with default settings, each session sending one message
 * and waiting for its echo. The server measures its heap after GC (repeated
 * {@code System.gc()}, the minimum of the used heap) before and after the measured sessions.
 * Then every established connection of the server's port is destroyed at once with
 * {@code ss -K} (the kernel resets the client's side), every session queues a second message at
 * once, and the time until every session has its second echo back (so: reconnected, TLS and
 * session resumed, the message replayed, delivered once, answered) is measured. Each session
 * must see exactly echoes 1 and 2, in order, and at least one reconnect (more when {@code ss -K},
 * still running, reached the new connection too).
 *
 * <p>Prints a markdown table on stdout; exits 1 when a check fails, 2 on bad usage.
 */
public final class IdleSessionsBench {
  private static final String PREFIX = "bench: ";

  private IdleSessionsBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 2 && args[0].equals("server")) {
      server(Path.of(args[1]), args.length >= 3 ? args[2].split(",") : new String[0]);
      return;
    }
    if (args.length >= 1 && args[0].equals("run")) {
      Map<String, String> opts = new TreeMap<>();
      for (int i = 1; i + 1 < args.length; i += 2) {
        if (!args[i].startsWith("--")) {
          usage("unexpected argument " + args[i]);
        }
        opts.put(args[i].substring(2), args[i + 1]);
      }
      if ((args.length - 1) % 2 != 0) {
        usage("missing value for " + args[args.length - 1]);
      }
      int code = new Run(opts).run();
      System.exit(code);
    }
    usage("expected: run [--sessions N] [--warmup N] [--concurrency N] [--dir DIR]");
  }

  private static void usage(String message) {
    System.err.println("IdleSessionsBench: " + message);
    System.exit(2);
  }

  // ------------------------------------------------------------------------------ server side

  /** The server JVM: commands on stdin, answers on stdout prefixed with "bench: ". */
  static void server(Path dir, String[] tlsGroups) throws Exception {
    LongAdder full = new LongAdder();
    LongAdder resumed = new LongAdder();
    Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    HandshakeListener handshakes = e -> {
      if (e.succeeded()) {
        (e.resumed() ? resumed : full).increment();
      } else {
        String reason = e.failureMessage().orElse("?");
        reason = reason.length() > 60 ? reason.substring(0, 60) : reason;
        failures.computeIfAbsent(reason, r -> new LongAdder()).increment();
      }
    };
    SessionHandler echo = (session, seq, message) -> {
      byte[] copy = new byte[message.remaining()];
      message.get(copy);
      session.trySend(copy);
    };
    try (FileCheckpointStore store = FileCheckpointStore.open(dir.resolve("sessions"));
        LifelineServer server = LifelineServer.builder()
            .tls(serverTls(dir, tlsGroups))
            .store(store)
            .handler(echo)
            .handshakeListener(handshakes)
            // The default (10,000) is below the sessions plus warm-up sessions measured here;
            // the open-file limit the script checks is the real bound.
            .maxConnections(100_000)
            // Every session comes from 127.0.0.1: lift the per-source limits to the server's.
            .maxConnectionsPerSource(100_000)
            .maxHandshakesPerSource(100_000)
            .start()) {
      PrintWriter out = new PrintWriter(System.out, true);
      out.println("listening on " + server.address());
      out.println(PREFIX + "pid " + ProcessHandle.current().pid());
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        switch (line.trim()) {
          case "heap" -> out.println(PREFIX + "heap " + usedHeapAfterGc() + " sessions "
              + server.sessionCount());
          case "stats" -> out.println(PREFIX + "stats full " + full.sum() + " resumed "
              + resumed.sum() + " failed " + failures + " store " + store.stats().records()
              + " records " + store.stats().syncs() + " syncs");
          case "quit" -> {
            return;
          }
          default -> out.println(PREFIX + "unknown command " + line);
        }
      }
    }
  }

  /** The development certificate; {@code --tls-groups} when given, else the default groups. */
  static ServerTlsConfig serverTls(Path dir, String[] tlsGroups) {
    ServerTlsConfig.Builder b = ServerTlsConfig.builder().developmentCertificates(dir.resolve("tls"));
    return (tlsGroups.length == 0 ? b : b.keyExchangeGroups(tlsGroups)).build();
  }

  static long usedHeapAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(200);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  // ------------------------------------------------------------------------------ client side

  /** One session's view of its echoes: must be 1, 2, ... in order, each once. */
  static class Echoes implements SessionHandler {
    final long[] arrivedAt = new long[4];
    final AtomicInteger received = new AtomicInteger();
    volatile String error;
    volatile long disconnectedAt;
    boolean measured;
    volatile long resumedAt;

    @Override
    public void onDisconnected(Session session, Throwable cause) {
      if (disconnectedAt == 0) {
        disconnectedAt = System.nanoTime();
      }
    }

    @Override
    public void onResumed(Session session) {
      if (resumedAt == 0) {
        resumedAt = System.nanoTime();
      }
    }

    @Override
    public void onMessage(Session session, long seq, ByteBuffer message) {
      long n = message.remaining() == 8 ? message.getLong(message.position()) : -1;
      int count = received.incrementAndGet();
      if (n != count || seq != count) {
        error = "expected echo " + count + " as message " + count + ", got " + n + " as " + seq;
      }
      if (count < arrivedAt.length) {
        arrivedAt[count] = System.nanoTime();
      }
    }
  }

  static byte[] message(long n) {
    return ByteBuffer.allocate(8).putLong(n).array();
  }

  static final class Run {
    private final int sessions;
    private final int warmup;
    private final int concurrency;
    private final int clients;
    private final int cutProcesses;
    private final int warmupStorms;
    private final Path dir;
    private final String serverHeap;
    private final String tlsGroups; // null: the default groups
    private Process server;
    private final LinkedBlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private Writer serverLog;

    Run(Map<String, String> opts) throws IOException {
      this.sessions = Integer.parseInt(opts.getOrDefault("sessions", "10000"));
      this.warmup = Integer.parseInt(opts.getOrDefault("warmup", "200"));
      this.concurrency = Integer.parseInt(opts.getOrDefault("concurrency", "256"));
      this.clients = Integer.parseInt(opts.getOrDefault("clients", "2"));
      this.cutProcesses = Integer.parseInt(opts.getOrDefault("cut-processes", "8"));
      this.warmupStorms = Integer.parseInt(opts.getOrDefault("warmup-storms", "5"));
      this.serverHeap = opts.getOrDefault("server-heap", "2g");
      this.tlsGroups = opts.get("tls-groups");
      this.dir = opts.containsKey("dir") ? Path.of(opts.get("dir"))
          : Files.createTempDirectory("lifeline-idle-sessions");
    }

    int run() throws Exception {
      Files.createDirectories(dir);
      int port = startServer();
      long serverPid = Long.parseLong(ask(null, "pid"));
      System.err.printf("# server pid %d on port %d; %d sessions (+%d warm-up) from %d clients, "
          + "%d opens in flight%n", serverPid, port, sessions, warmup, clients, concurrency);
      LongAdder clientFull = new LongAdder();
      LongAdder clientResumed = new LongAdder();
      LongAdder clientFailed = new LongAdder();
      java.util.Queue<Long> stormHandshakes = new java.util.concurrent.ConcurrentLinkedQueue<>();
      java.util.concurrent.atomic.AtomicBoolean storm = new java.util.concurrent.atomic.AtomicBoolean();
      Map<String, LongAdder> stormGroups = new ConcurrentHashMap<>();
      HandshakeListener handshakes = e -> {
        if (storm.get()) {
          stormHandshakes.add(e.durationNanos());
          if (e.succeeded()) {
            stormGroups.computeIfAbsent(e.keyExchangeGroup().orElse("?"), g -> new LongAdder())
                .increment();
          }
        }
        if (!e.succeeded()) {
          clientFailed.increment();
        } else {
          (e.resumed() ? clientResumed : clientFull).increment();
        }
      };
      LinkedBlockingQueue<Echoes> echoes = new LinkedBlockingQueue<>();
      List<String> failures = new ArrayList<>();
      List<LifelineClient> client = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        client.add(LifelineClient.builder()
            .server("127.0.0.1", port)
            .tls(clientTls())
            .handshakeListener(handshakes)
            .build());
      }
      try {
        List<Session> warm = open(client, "warm-", warmup, echoes, null);
        // A server that has been running has its resume path compiled: cut and resume the
        // warm-up sessions a few times first, so the measured storm is not mostly JIT work.
        for (int round = 1; round <= warmupStorms; round++) {
          echoes.clear();
          cutAll(port, failures);
          for (Session s : warm) {
            s.trySend(message(round + 1));
          }
          for (int got = 0; got < warmup; ) {
            Echoes e = echoes.poll(60, TimeUnit.SECONDS);
            if (e == null) {
              throw new IllegalStateException("warm-up storm " + round + ": only " + got + " of "
                  + warmup + " sessions resumed within 60 s");
            }
            if (e.received.get() == round + 1) {
              got++;
            }
          }
        }
        System.err.printf("# %d warm-up sessions opened, cut and resumed %d times%n", warmup,
            warmupStorms);
        long heapBase = heap();
        long clientHeapBase = usedHeapAfterGc();
        Echoes[] handlers = new Echoes[sessions];
        long t0 = System.nanoTime();
        List<Session> all = open(client, "idle-", sessions, echoes, handlers);
        double openSeconds = (System.nanoTime() - t0) / 1e9;
        System.err.printf("# opened %d sessions in %.1f s%n", sessions, openSeconds);
        Thread.sleep(2000); // let acknowledgements and checkpoints settle
        long heapAll = heap();
        long clientHeapAll = usedHeapAfterGc();
        String serverSessions = lastHeapSessions;
        String statsBefore = ask("stats", "stats");
        long fullBefore = clientFull.sum();
        long resumedBefore = clientResumed.sum();
        long failedBefore = clientFailed.sum();

        // Cut every connection at once, then every session queues its second message.
        echoes.clear();
        storm.set(true);
        long serverCpu0 = cpuNanos(serverPid);
        long clientCpu0 = cpuNanos(ProcessHandle.current().pid());
        Map<String, Long> serverThreads0 = threadCpu(serverPid);
        Map<String, Long> clientThreads0 = threadCpu(ProcessHandle.current().pid());
        long cutAt = System.nanoTime();
        int killed = cutAll(port, failures);
        long cutDone = System.nanoTime();
        for (Session s : all) {
          s.trySend(message(2)); // queued in the replay buffer until the session is resumed
        }
        for (Session s : warm) {
          s.trySend(message(warmupStorms + 2));
        }
        int complete = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (complete < sessions + warmup && System.nanoTime() < deadline) {
          Echoes e = echoes.poll(1, TimeUnit.SECONDS);
          if (e != null && e.received.get() == (e.measured ? 2 : warmupStorms + 2)) {
            complete++;
          }
        }
        long lastAt = System.nanoTime();
        long serverCpu = cpuNanos(serverPid) - serverCpu0;
        long clientCpu = cpuNanos(ProcessHandle.current().pid()) - clientCpu0;
        String serverSplit = cpuSplit(serverThreads0, threadCpu(serverPid), serverCpu,
            sessions + warmup);
        String clientSplit = cpuSplit(clientThreads0,
            threadCpu(ProcessHandle.current().pid()), clientCpu, sessions + warmup);
        Thread.sleep(1000); // anything delivered twice would show up now
        String statsAfter = ask("stats", "stats");
        long heapAfter = heap();

        long[] resumeNanos = new long[sessions];
        int reconnected = 0;
        int cutTwice = 0;
        long latest = 0;
        for (int i = 0; i < sessions; i++) {
          Echoes e = handlers[i];
          Session s = all.get(i);
          if (e.error != null) {
            failures.add("session " + i + ": " + e.error);
          } else if (e.received.get() != 2) {
            failures.add("session " + i + ": " + e.received.get() + " echoes (expected 2)");
          }
          // ss -K may also reach a connection a session made while the cut was still going on:
          // then it reconnects twice. Not reconnecting at all means it was never cut.
          if (s.stats().reconnects() >= 1) {
            reconnected++;
            cutTwice += s.stats().reconnects() > 1 ? 1 : 0;
          } else {
            failures.add("session " + i + ": not cut (0 reconnects)");
          }
          long at = e.arrivedAt[2];
          resumeNanos[i] = at == 0 ? Long.MAX_VALUE : at - cutAt;
          latest = Math.max(latest, at);
        }
        for (Session s : warm) {
          if (s.stats().reconnects() < warmupStorms + 1) {
            failures.add("warm-up session: " + s.stats().reconnects() + " reconnects (expected "
                + "at least " + (warmupStorms + 1) + ")");
          }
        }
        Arrays.sort(resumeNanos);
        System.out.println("Phases after the cut (p50 / p99 / max): "
            + phase("cut → onDisconnected", handlers, e -> e.disconnectedAt - cutAt) + "; "
            + phase("onDisconnected → onResumed", handlers, e -> e.resumedAt - e.disconnectedAt)
            + "; " + phase("onResumed → echo", handlers, e -> e.arrivedAt[2] - e.resumedAt)
            + "; client handshake durations in the storm: " + summary(stormHandshakes)
            + "; their key-exchange groups: " + new TreeMap<>(stormGroups));
        long allResumed = resumeNanos[sessions - 1];
        String table = String.join("\n",
            "| " + sessions + " idle sessions, server in its own JVM | value |",
            "| --- | ---: |",
            String.format("| server heap per idle session (after GC, %d sessions held) | %.1f KiB |",
                Long.parseLong(serverSessions), (heapAll - heapBase) / 1024.0 / sessions),
            String.format("| server heap after the resume storm, per session | %.1f KiB |",
                (heapAfter - heapBase) / 1024.0 / sessions),
            String.format("| client heap per idle session (client JVM) | %.1f KiB |",
                (clientHeapAll - clientHeapBase) / 1024.0 / sessions),
            String.format("| time to open all sessions (%d in flight) | %.1f s |", concurrency,
                openSeconds),
            String.format("| connections reset by `ss -K` | %d (in %.0f ms) |", killed,
                (cutDone - cutAt) / 1e6),
            String.format("| cut → 50%% of sessions resumed and echoed | %s |", secs(
                resumeNanos[sessions / 2])),
            String.format("| cut → 99%% of sessions resumed and echoed | %s |", secs(
                resumeNanos[(int) Math.ceil(sessions * 0.99) - 1])),
            String.format("| **cut → all sessions resumed and echoed** | **%s** |", secs(allResumed)),
            String.format("| sessions reconnected / exactly-once echoes | %d / %d |",
                reconnected, countOk(handlers)),
            String.format("| sessions cut a second time (ss -K reached their new connection) | %d |",
                cutTwice),
            String.format("| CPU used from the cut until all resumed: server / client JVM | %.1f s / %.1f s |",
                serverCpu / 1e9, clientCpu / 1e9),
            String.format("| CPU per resumed session: server / client | %.0f µs / %.0f µs |",
                serverCpu / 1e3 / (sessions + warmup), clientCpu / 1e3 / (sessions + warmup)),
            String.format("| client TLS handshakes in the storm: resumed / full / failed | %d / %d / %d |",
                clientResumed.sum() - resumedBefore, clientFull.sum() - fullBefore,
                clientFailed.sum() - failedBefore)) + "\n";
        System.out.print(table);
        System.out.println();
        System.out.println("Server handshakes before the cut: " + statsBefore);
        System.out.println("Server handshakes after the storm: " + statsAfter);
        System.out.println("Server CPU per resume by thread group: " + serverSplit);
        System.out.println("Client CPU per resume by thread group: " + clientSplit);
        long[] storeBefore = storeCounts(statsBefore);
        long[] storeAfter = storeCounts(statsAfter);
        long records = storeAfter[0] - storeBefore[0];
        long syncs = storeAfter[1] - storeBefore[1];
        System.out.printf("Server store from the cut until 1 s after the storm: %d records made "
            + "durable in %d syncs (%.1f records per sync, %.2f records per resumed session)%n",
            records, syncs, syncs == 0 ? 0.0 : (double) records / syncs,
            (double) records / (sessions + warmup));
        System.out.printf("Server heap after GC: %d bytes with %d warm-up sessions, %d with all%n",
            heapBase, warmup, heapAll);
        if (lastAt - cutAt > TimeUnit.SECONDS.toNanos(119)) {
          failures.add("not all sessions resumed within 120 s");
        }
      } finally {
        client.forEach(LifelineClient::close);
        stopServer();
      }
      if (!failures.isEmpty()) {
        System.out.println("FAILED: " + failures.size() + " problems, first: "
            + failures.subList(0, Math.min(10, failures.size())));
        return 1;
      }
      return 0;
    }

    private static String phase(String name, Echoes[] handlers,
        java.util.function.ToLongFunction<Echoes> f) {
      long[] v = new long[handlers.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = f.applyAsLong(handlers[i]);
      }
      return name + " " + summary(v);
    }

    private static String summary(long[] v) {
      if (v.length == 0) {
        return "none";
      }
      long[] sorted = v.clone();
      Arrays.sort(sorted);
      return String.format("%.0f / %.0f / %.0f ms", sorted[sorted.length / 2] / 1e6,
          sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6, sorted[sorted.length - 1] / 1e6);
    }

    private static String summary(java.util.Collection<Long> v) {
      return summary(v.stream().mapToLong(Long::longValue).toArray());
    }

    /** Resets every established connection of the server's port; returns how many. */
    private int cutAll(int port, List<String> failures) throws Exception {
      // ss -K destroys one socket at a time (about 1 ms each on a busy machine), so the
      // connections are split by client port among parallel ss processes.
      List<Process> killers = new ArrayList<>();
      // Client ports come from the ephemeral range: split that evenly.
      String[] range = readProc("/proc/sys/net/ipv4/ip_local_port_range")
          .trim().split("\\s+");
      int lo = Integer.parseInt(range[0]);
      int hi = Integer.parseInt(range[1]);
      int step = (hi - lo + 1 + cutProcesses - 1) / cutProcesses;
      for (int p = 0; p < cutProcesses; p++) {
        int from = lo + p * step;
        int to = Math.min(hi, from + step - 1);
        killers.add(new ProcessBuilder("ss", "-K", "state", "established",
            "( sport = :" + port + " and dport >= :" + from + " and dport <= :" + to + " )")
            .redirectErrorStream(true).start());
      }
      int killed = 0;
      StringBuilder ssOut = new StringBuilder();
      for (Process ss : killers) {
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        killed += (int) out.lines().filter(l -> l.contains(":" + port + " ")).count();
        if (ss.waitFor() != 0) {
          ssOut.append(out);
        }
      }
      if (killed == 0 || ssOut.length() > 0) {
        failures.add("ss -K killed " + killed + " connections (needs root and a kernel with "
            + "CONFIG_INET_DIAG_DESTROY): " + ssOut);
      }
      return killed;
    }

    /** Files.readString trusts the size procfs reports, and reads too little. */
    static String readProc(String file) throws IOException {
      try (java.io.InputStream in = Files.newInputStream(Path.of(file))) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }

    /** utime + stime of a process (all its threads), from /proc. */
    static long cpuNanos(long pid) throws IOException {
      String stat = readProc("/proc/" + pid + "/stat");
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 10_000_000L; // USER_HZ is 100 on Linux
    }

    /** The JVM thread groups the storm's CPU is split into, by thread name (/proc comm). */
    static String threadGroup(String comm) {
      if (comm.contains("CompilerThre")) {
        return "JIT";
      }
      if (comm.startsWith("GC Thread") || comm.startsWith("G1 ") || comm.equals("VM Thread")) {
        return "GC";
      }
      if (comm.contains("-io-")) {
        return "I/O";
      }
      if (comm.startsWith("lifeline-client")) {
        return "client I/O+app"; // /proc cuts names to 15 characters
      }
      if (comm.startsWith("lifeline-store")) {
        return "store";
      }
      if (comm.startsWith("lifeline-app") || comm.startsWith("lifeline-accept")) {
        return "app+accept";
      }
      return "other";
    }

    /** CPU nanoseconds per live thread ("group#tid"), from /proc/PID/task/TID/stat. */
    static Map<String, Long> threadCpu(long pid) {
      Map<String, Long> cpu = new java.util.HashMap<>();
      java.io.File[] tasks = new java.io.File("/proc/" + pid + "/task").listFiles();
      if (tasks == null) {
        return cpu;
      }
      for (java.io.File task : tasks) {
        try {
          String stat = readProc(task.getPath() + "/stat");
          String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
          cpu.put(threadGroup(comm) + "#" + task.getName(), ticks * 10_000_000L);
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
      return cpu;
    }

    /**
     * µs per resume by thread group between two {@link #threadCpu} samples; threads that ended
     * in between (e.g. JIT threads the JVM stops again) are in "ended" (process total minus the
     * rest).
     */
    static String cpuSplit(Map<String, Long> before, Map<String, Long> after, long total,
        int resumes) {
      Map<String, Long> groups = new java.util.LinkedHashMap<>();
      for (Map.Entry<String, Long> e : after.entrySet()) {
        groups.put(e.getKey().substring(0, e.getKey().indexOf('#')), 0L);
      }
      long sum = 0;
      for (Map.Entry<String, Long> e : after.entrySet()) {
        long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
        groups.merge(e.getKey().substring(0, e.getKey().indexOf('#')), d, Long::sum);
        sum += d;
      }
      groups.put("ended", Math.max(0, total - sum));
      StringBuilder b = new StringBuilder();
      List<Map.Entry<String, Long>> sorted = new ArrayList<>(groups.entrySet());
      sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
      for (Map.Entry<String, Long> e : sorted) {
        b.append(b.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
            .append(Math.round(e.getValue() / 1e3 / resumes)).append(" µs");
      }
      return b.append(String.format(" (JIT %.0f%%)", 100.0 * groups.get("JIT") / total))
          .toString();
    }

    private static String secs(long nanos) {
      return nanos == Long.MAX_VALUE ? "never" : String.format("%.2f s", nanos / 1e9);
    }

    private static int countOk(Echoes[] handlers) {
      int ok = 0;
      for (Echoes e : handlers) {
        if (e.error == null && e.received.get() == 2) {
          ok++;
        }
      }
      return ok;
    }

    /** Opens {@code count} sessions, {@code concurrency} at a time, each sending message 1 and
     * waiting for its echo. */
    private List<Session> open(List<LifelineClient> clients, String prefix, int count,
        LinkedBlockingQueue<Echoes> echoes, Echoes[] handlers) throws Exception {
      Session[] opened = new Session[count];
      Semaphore inFlight = new Semaphore(concurrency);
      AtomicLong failed = new AtomicLong();
      List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
      CountDownLatch all = new CountDownLatch(count);
      for (int i = 0; i < count; i++) {
        inFlight.acquire();
        int index = i;
        Echoes handler = new Echoes() {
          @Override
          public void onMessage(Session session, long seq, ByteBuffer message) {
            super.onMessage(session, seq, message);
            if (received.get() == 1) {
              inFlight.release();
              all.countDown();
            } else {
              echoes.add(this);
            }
          }
        };
        if (handlers != null) {
          handlers[i] = handler;
          handler.measured = true;
        }
        clients.get(i % clients.size()).open(prefix + i, handler).whenComplete((s, err) -> {
          if (err != null) {
            failed.incrementAndGet();
            errors.add(err);
            inFlight.release();
            all.countDown();
            return;
          }
          opened[index] = s;
          try {
            s.trySend(message(1));
          } catch (LifelineException e) {
            failed.incrementAndGet();
            errors.add(e);
            inFlight.release();
            all.countDown();
          }
        });
      }
      if (!all.await(10, TimeUnit.MINUTES) || failed.get() > 0) {
        throw new IllegalStateException(failed.get() + " of " + count + " sessions failed to "
            + "open; first: " + (errors.isEmpty() ? "timeout" : errors.get(0)));
      }
      return new ArrayList<>(Arrays.asList(opened));
    }

    private String lastHeapSessions;

    /** The store's record and sync counts from a "stats" answer. */
    private static long[] storeCounts(String stats) {
      String[] w = stats.substring(stats.lastIndexOf(" store ") + 7).split(" ");
      return new long[] {Long.parseLong(w[0]), Long.parseLong(w[2])};
    }

    private long heap() throws Exception {
      String[] parts = ask("heap", "heap").split(" ");
      lastHeapSessions = parts[2];
      return Long.parseLong(parts[0]);
    }

    private ClientTlsConfig clientTls() {
      ClientTlsConfig.Builder b = ClientTlsConfig.builder().trustedCa(dir.resolve("tls/ca.pem"));
      return (tlsGroups == null ? b : b.keyExchangeGroups(tlsGroups.split(","))).build();
    }

    private int startServer() throws Exception {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = new ArrayList<>(List.of(java, "-Xms" + serverHeap, "-Xmx" + serverHeap,
          "-cp", System.getProperty("java.class.path")));
      String extra = System.getProperty("bench.server.jvmArgs", "").trim();
      if (!extra.isEmpty()) {
        cmd.addAll(List.of(extra.split("\\s+")));
      }
      String logback = System.getProperty("logback.configurationFile");
      if (logback != null) {
        cmd.add("-Dlogback.configurationFile=" + logback);
      }
      cmd.add(IdleSessionsBench.class.getName());
      cmd.add("server");
      cmd.add(dir.toString());
      if (tlsGroups != null) {
        cmd.add(tlsGroups);
      }
      server = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      serverLog = Files.newBufferedWriter(dir.resolve("server.log"));
      CountDownLatch listening = new CountDownLatch(1);
      AtomicInteger port = new AtomicInteger();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(
            new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            if (line.startsWith("listening on ")) {
              port.set(Integer.parseInt(line.substring(line.lastIndexOf(':') + 1)));
              listening.countDown();
            } else if (line.startsWith(PREFIX)) {
              answers.add(line.substring(PREFIX.length()));
            } else {
              synchronized (this) {
                serverLog.write(line);
                serverLog.write('\n');
              }
            }
          }
        } catch (IOException e) {
          answers.add("error " + e);
        } finally {
          listening.countDown();
          try {
            serverLog.flush();
          } catch (IOException ignored) {
            // best effort
          }
        }
      }, "server-output");
      reader.setDaemon(true);
      reader.start();
      if (!listening.await(60, TimeUnit.SECONDS) || port.get() == 0) {
        throw new IllegalStateException("server did not start; see " + dir.resolve("server.log"));
      }
      return port.get();
    }

    /** Sends {@code command} (if any) and returns the rest of the answer starting with key. */
    private String ask(String command, String key) throws Exception {
      if (command != null) {
        server.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        server.getOutputStream().flush();
      }
      String answer = answers.poll(2, TimeUnit.MINUTES);
      if (answer == null || !answer.startsWith(key + " ")) {
        throw new IllegalStateException("server answered " + answer + " to " + command);
      }
      return answer.substring(key.length() + 1);
    }

    private void stopServer() throws Exception {
      if (server == null) {
        return;
      }
      try {
        server.getOutputStream().write("quit\n".getBytes(StandardCharsets.UTF_8));
        server.getOutputStream().flush();
      } catch (IOException ignored) {
        // already gone
      }
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }
}
