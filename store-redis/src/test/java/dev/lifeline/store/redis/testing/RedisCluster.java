package dev.lifeline.store.redis.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * A real local Redis Cluster for tests: {@code primaries} primaries and {@code replicasPerPrimary}
 * replicas of each, every one a {@link RedisServer} process (AOF, {@code appendfsync always}, no
 * RDB) in its own directory under {@code dir}, joined by {@code redis-cli --cluster create}. It
 * returns once every node reports {@code cluster_state:ok}, all 16384 slots are served, every
 * node sees the same slot owners and every replica's link to its primary is up, so a test starts
 * on a settled cluster. A shard's primary can be killed (SIGKILL) and its replica's promotion
 * awaited, and slots can be moved with {@code redis-cli --cluster reshard}.
 *
 * <p>{@code redis-cli} is {@code $LIFELINE_REDIS_CLI}, else the one beside the redis-server
 * binary, else the one on the PATH; a missing one fails the test (package redis-tools).
 *
 * <pre>{@code
 * try (RedisCluster cluster = RedisCluster.start(tempDir, 3, 1)) {
 *   RedisCheckpointStore store = RedisCheckpointStore.builder(cluster.uri()).build();
 *   RedisCluster.Node owner = cluster.primaryOf("some-key");
 *   cluster.killPrimary(owner);
 *   RedisCluster.Node promoted = cluster.awaitFailover(owner);
 * }
 * }</pre>
 */
public final class RedisCluster implements AutoCloseable {
  /** Redis's own default: how long a node may be silent before the others call it failing. */
  public static final Duration DEFAULT_NODE_TIMEOUT = Duration.ofMillis(3000);

  private static final int SLOTS = 16384;
  private static final Duration SETTLE = Duration.ofSeconds(60);

  private final Path dir;
  private final List<Node> nodes;
  private final List<Node> seeds = new ArrayList<>();
  /** Nodes this fixture killed: never asked anything again. */
  private final Set<Node> killed = ConcurrentHashMap.newKeySet();
  /** The replicas each killed primary had when it was killed, by the dead primary's id. */
  private final Map<String, List<Node>> orphans = new ConcurrentHashMap<>();
  private int reshards;

  /** One cluster node: its process, port and cluster node id; its role is asked live. */
  public static final class Node {
    private final RedisServer server;
    private final String id;

    private Node(RedisServer server, String id) {
      this.server = server;
      this.id = id;
    }

    public int port() {
      return server.port();
    }

    /** The 40-character cluster node id. */
    public String id() {
      return id;
    }

    /** {@code 127.0.0.1:PORT}. */
    public String address() {
      return "127.0.0.1:" + port();
    }

    @Override
    public String toString() {
      return address() + " (" + id.substring(0, 8) + ")";
    }
  }

  private RedisCluster(Path dir, List<Node> nodes) {
    this.dir = dir;
    this.nodes = nodes;
  }

  /** Starts a settled cluster with the default node timeout. */
  public static RedisCluster start(Path dir, int primaries, int replicasPerPrimary)
      throws IOException {
    return start(dir, primaries, replicasPerPrimary, DEFAULT_NODE_TIMEOUT);
  }

  /**
   * Starts a settled cluster; {@code nodeTimeout} is {@code cluster-node-timeout}, after which a
   * silent primary is failed over.
   */
  public static RedisCluster start(Path dir, int primaries, int replicasPerPrimary,
      Duration nodeTimeout) throws IOException {
    if (primaries < 3 || replicasPerPrimary < 0) {
      throw new IllegalArgumentException("primaries: " + primaries + ", replicasPerPrimary: "
          + replicasPerPrimary + " (expected: >= 3 primaries, as redis-cli requires, and >= 0)");
    }
    String cli = RedisCli.binary();
    Files.createDirectories(dir);
    List<Node> nodes = new ArrayList<>();
    RedisCluster cluster = new RedisCluster(dir, nodes);
    try {
      Set<Integer> taken = new HashSet<>();
      for (int i = 0; i < primaries * (1 + replicasPerPrimary); i++) {
        nodes.add(startNode(dir, taken, nodeTimeout));
      }
      List<String> create = new ArrayList<>(List.of(cli, "--cluster", "create"));
      nodes.forEach(n -> create.add(n.address()));
      create.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerPrimary),
          "--cluster-yes"));
      RedisCli.run(create, dir.resolve("redis-cli-create.log"));
      cluster.awaitSettled(Set.of());
      cluster.seeds.addAll(cluster.primaries());
      return cluster;
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** {@code redis-cluster://127.0.0.1:P1,127.0.0.1:P2,...}: the primaries at start as seeds. */
  public String uri() {
    return "redis-cluster://" + seeds.stream().map(Node::address)
        .collect(Collectors.joining(","));
  }

  /** Every node started, killed ones included. */
  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /** The live nodes that are primaries now (each by its own account). */
  public List<Node> primaries() throws IOException {
    List<Node> out = new ArrayList<>();
    for (Node n : live()) {
      if (myLine(n).flags().contains("master")) {
        out.add(n);
      }
    }
    return out;
  }

  /** The live primary serving the slot of {@code key}, as a live node's slot table says. */
  public Node primaryOf(String key) throws IOException {
    Node asked = live().get(0);
    long slot = (Long) Resp.call(asked.port(), "CLUSTER", "KEYSLOT", key);
    for (Object range : (List<?>) Resp.call(asked.port(), "CLUSTER", "SLOTS")) {
      List<?> r = (List<?>) range;
      if ((Long) r.get(0) <= slot && slot <= (Long) r.get(1)) {
        int port = ((Long) ((List<?>) r.get(2)).get(1)).intValue();
        return nodes.stream().filter(n -> n.port() == port).findFirst().orElseThrow();
      }
    }
    throw new IllegalStateException("no node serves slot " + slot + " of " + key);
  }

  /** Kills the primary {@code n} with SIGKILL, as a crash of its machine. */
  public void killPrimary(Node n) throws IOException {
    List<Node> replicas = new ArrayList<>();
    for (ClusterNodes.Line line : ClusterNodes.of(command(n, "CLUSTER", "NODES"))) {
      if (n.id().equals(line.masterId())) {
        replicas.add(byId(line.id()));
      }
    }
    orphans.put(n.id(), replicas);
    killed.add(n);
    n.server.kill();
  }

  /**
   * Waits until one of the replicas {@code dead} had is a primary and the cluster is settled
   * again without it; returns the promoted replica.
   */
  public Node awaitFailover(Node dead) throws IOException {
    List<Node> candidates = orphans.get(dead.id());
    if (candidates == null || candidates.isEmpty()) {
      throw new IllegalStateException(dead + " was not killed by killPrimary or had no replica");
    }
    awaitSettled(Set.of(dead.id()));
    for (Node c : candidates) {
      if (myLine(c).flags().contains("master")) {
        return c;
      }
    }
    throw new IllegalStateException("the cluster settled but no replica of " + dead
        + " is a primary: " + command(live().get(0), "CLUSTER", "NODES"));
  }

  /**
   * Starts a killed node again on its port and data; it rejoins as a replica of whoever serves
   * its slots now. Returns once the cluster settled with it.
   */
  public void restart(Node n) throws IOException {
    if (!killed.contains(n)) {
      throw new IllegalStateException(n + " was not killed");
    }
    n.server.start();
    killed.remove(n);
    orphans.remove(n.id());
    awaitSettled(killed.stream().map(Node::id).collect(Collectors.toSet()));
  }

  /**
   * Waits until every replica of {@code primary} has all it wrote (the same replication offset),
   * as after a quiet moment: which replica Redis promotes is a race between replicas otherwise.
   */
  public void awaitReplicated(Node primary) throws IOException {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    String info = "";
    while (System.nanoTime() < deadline) {
      info = command(primary, "INFO", "replication");
      String offset = field(info, "master_repl_offset");
      List<String> replicas = info.lines().filter(l -> l.matches("slave\\d+:.*")).toList();
      if (!replicas.isEmpty() && replicas.stream()
          .allMatch(l -> l.contains("state=online") && l.contains(",offset=" + offset + ","))) {
        return;
      }
      sleep(20);
    }
    throw new IOException("the replicas of " + primary + " did not catch up: " + info);
  }

  /**
   * Moves {@code slots} slots from {@code from} to {@code to} with {@code redis-cli --cluster
   * reshard} (keys and all, while clients keep writing), then waits until the cluster settled.
   */
  public void reshard(Node from, Node to, int slots) throws IOException {
    RedisCli.run(List.of(RedisCli.binary(), "--cluster", "reshard", from.address(),
        "--cluster-from", from.id(), "--cluster-to", to.id(),
        "--cluster-slots", Integer.toString(slots), "--cluster-yes"),
        dir.resolve("redis-cli-reshard-" + (++reshards) + ".log"));
    awaitSettled(killed.stream().map(Node::id).collect(Collectors.toSet()));
  }

  /**
   * Runs one command on {@code n} and returns the reply as text: strings as they are, integers
   * in decimal, arrays one element a line, nil as empty. An error reply throws.
   */
  public String command(Node n, String... words) throws IOException {
    return render(Resp.call(n.port(), words));
  }

  /** The number of slots {@code n} serves, by its own account. */
  public int slotsOf(Node n) throws IOException {
    return myLine(n).slotCount();
  }

  @Override
  public void close() {
    for (Node n : nodes) {
      n.server.kill();
    }
  }

  private List<Node> live() {
    return nodes.stream().filter(n -> !killed.contains(n)).toList();
  }

  private Node byId(String id) {
    return nodes.stream().filter(n -> n.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalStateException("unknown node " + id));
  }

  private ClusterNodes.Line myLine(Node n) throws IOException {
    return ClusterNodes.of(command(n, "CLUSTER", "NODES")).stream()
        .filter(l -> l.flags().contains("myself")).findFirst().orElseThrow();
  }

  /**
   * Polls until every live node says {@code cluster_state:ok} with all slots served, knows every
   * node, agrees with the others on who serves which slot (redis-cli refuses to reshard
   * otherwise), no live primary is among {@code gone}, and every live replica's link is up.
   */
  private void awaitSettled(Set<String> gone) throws IOException {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    String problem = "";
    while (System.nanoTime() < deadline) {
      try {
        problem = unsettled(gone);
      } catch (IOException e) {
        problem = e.toString();
      }
      if (problem.isEmpty()) {
        return;
      }
      sleep(50);
    }
    StringBuilder logs = new StringBuilder();
    for (Node n : nodes) {
      logs.append("\n--- ").append(n).append(killed.contains(n) ? " (killed)" : "").append('\n')
          .append(tail(dir.resolve("node-" + n.port()).resolve("redis.log"), 8));
    }
    throw new IOException("the cluster did not settle within " + SETTLE.toSeconds() + " s: "
        + problem + logs);
  }

  /** Why the cluster is not settled yet, or empty once it is. */
  private String unsettled(Set<String> gone) throws IOException {
    Set<String> tables = new TreeSet<>();
    for (Node n : live()) {
      String info = command(n, "CLUSTER", "INFO");
      for (String want : List.of("cluster_state:ok", "cluster_slots_ok:" + SLOTS,
          "cluster_known_nodes:" + nodes.size())) {
        if (!info.contains(want + "\r\n")) {
          return n + " has no " + want + " in " + info.replace("\r\n", " ");
        }
      }
      List<ClusterNodes.Line> view = ClusterNodes.of(command(n, "CLUSTER", "NODES"));
      tables.add(ClusterNodes.slotTable(view));
      ClusterNodes.Line me = view.stream().filter(l -> l.flags().contains("myself"))
          .findFirst().orElseThrow();
      if (me.flags().contains("slave")
          && !command(n, "INFO", "replication").contains("master_link_status:up")) {
        return "replica " + n + " has no link to its primary yet";
      }
      if (me.flags().contains("slave") && gone.contains(me.masterId())) {
        return "replica " + n + " still follows a dead primary";
      }
      for (ClusterNodes.Line l : view) {
        if (gone.contains(l.id()) && l.slotCount() > 0) {
          return n + " still sees slots on the dead " + l.id();
        }
      }
    }
    return tables.size() == 1 ? "" : "the nodes disagree on slot owners: " + tables;
  }

  private static Node startNode(Path dir, Set<Integer> taken, Duration nodeTimeout)
      throws IOException {
    IOException last = null;
    // A port can be taken between the probe and redis binding it (another test run on this
    // machine): then redis exits at once and another port is tried.
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = freePortPair(taken);
      Path nodeDir = dir.resolve("node-" + port);
      try {
        RedisServer server = RedisServer.startOn(nodeDir, port,
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", Long.toString(nodeTimeout.toMillis()));
        String id = render(Resp.call(port, "CLUSTER", "MYID"));
        return new Node(server, id);
      } catch (IOException e) {
        last = e;
      }
    }
    throw last;
  }

  /**
   * A port p with p and p + 10000 (its cluster bus) free. Both stay below the kernel's ephemeral
   * range (32768 up), so a connection some other process opens cannot take them meanwhile.
   */
  private static int freePortPair(Set<Integer> taken) {
    for (int i = 0; i < 1000; i++) {
      int p = ThreadLocalRandom.current().nextInt(20000, 22700);
      if (!taken.contains(p) && !taken.contains(p + 10000) && free(p) && free(p + 10000)) {
        taken.add(p);
        taken.add(p + 10000);
        return p;
      }
    }
    throw new IllegalStateException("no free port pair p, p + 10000 in 20000..32700");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String render(Object reply) {
    if (reply == null) {
      return "";
    }
    if (reply instanceof List<?> items) {
      return items.stream().map(RedisCluster::render).collect(Collectors.joining("\n"));
    }
    return reply.toString();
  }

  private static String field(String info, String name) {
    return info.lines().filter(l -> l.startsWith(name + ":"))
        .map(l -> l.substring(name.length() + 1)).findFirst().orElse("?");
  }

  static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no " + log.getFileName() + ")";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
