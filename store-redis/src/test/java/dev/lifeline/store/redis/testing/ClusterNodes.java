package dev.lifeline.store.redis.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/** Reads a {@code CLUSTER NODES} reply: one line a node, as Redis documents it. */
final class ClusterNodes {
  private ClusterNodes() {}

  /**
   * One node as the asking node sees it: {@code id addr flags master ping pong epoch link
   * slot...}. A slot entry is a slot, a range {@code a-b}, or a migration in brackets.
   */
  record Line(String id, List<String> flags, String masterId, List<String> slots) {
    /** Slots this node serves; migrations in progress (in brackets) are not counted. */
    int slotCount() {
      int n = 0;
      for (String s : slots) {
        if (s.startsWith("[")) {
          continue;
        }
        int dash = s.indexOf('-');
        n += dash < 0 ? 1
            : Integer.parseInt(s.substring(dash + 1)) - Integer.parseInt(s.substring(0, dash)) + 1;
      }
      return n;
    }
  }

  static List<Line> of(String reply) {
    List<Line> lines = new ArrayList<>();
    for (String raw : reply.split("\n")) {
      String[] f = raw.trim().split(" ");
      if (f.length < 8) {
        continue;
      }
      lines.add(new Line(f[0], List.of(f[2].split(",")), f[3],
          List.of(Arrays.copyOfRange(f, 8, f.length))));
    }
    return lines;
  }

  /** Who serves which slots, in a form two nodes' views can be compared by. */
  static String slotTable(List<Line> view) {
    TreeSet<String> owners = new TreeSet<>();
    for (Line l : view) {
      List<String> served = l.slots().stream().filter(s -> !s.startsWith("[")).toList();
      if (!served.isEmpty()) {
        owners.add(l.id() + "=" + String.join(",", served));
      }
    }
    return owners.toString();
  }
}
