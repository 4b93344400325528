package dev.lifeline.http;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line must be
 * a HELP, TYPE or comment line or a well-formed sample of a family whose TYPE came before it;
 * label values must be quoted and escaped properly; no series may appear twice; histogram
 * buckets must carry {@code le}, grow with it and end with {@code +Inf} equal to {@code _count}.
 * Any violation throws {@link IllegalArgumentException} naming the line.
 */
final class PrometheusText {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern FLOAT = Pattern.compile(
      "[+-]?(?:Inf|NaN|(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)");

  /** Series (name plus sorted labels, e.g. {@code a_total{x="1"}}) to value. */
  final Map<String, Double> samples = new LinkedHashMap<>();
  final Map<String, String> types = new HashMap<>();

  static PrometheusText parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the last line does not end with a newline");
    }
    PrometheusText p = new PrometheusText();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        continue;
      }
      try {
        p.line(line);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("line " + n + " \"" + line + "\": " + e.getMessage(), e);
      }
    }
    p.checkHistograms();
    return p;
  }

  private void line(String line) {
    if (line.startsWith("#")) {
      String[] parts = line.split(" ", 4);
      if (parts.length >= 3 && parts[1].equals("TYPE")) {
        require(NAME.matcher(parts[2]).matches(), "bad metric name");
        require(parts.length == 4 && parts[3].matches(
            "counter|gauge|histogram|summary|untyped"), "bad type");
        require(types.put(parts[2], parts[3]) == null, "second TYPE for " + parts[2]);
      } else if (parts.length >= 3 && parts[1].equals("HELP")) {
        require(NAME.matcher(parts[2]).matches(), "bad metric name");
      }
      return;
    }
    int i = 0;
    while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
      i++;
    }
    String name = line.substring(0, i);
    require(NAME.matcher(name).matches(), "bad metric name");
    TreeMap<String, String> labels = new TreeMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i = labels(line, i + 1, labels);
    }
    require(i < line.length() && line.charAt(i) == ' ', "expected a space before the value");
    String[] rest = line.substring(i + 1).split(" ");
    require(rest.length == 1 || rest.length == 2, "expected value [timestamp]");
    require(FLOAT.matcher(rest[0]).matches(), "bad value " + rest[0]);
    if (rest.length == 2) {
      require(rest[1].matches("-?\\d+"), "bad timestamp");
    }
    String family = family(name);
    require(family != null, "no TYPE line before the first sample of " + name);
    String series = name + labels;
    double v = rest[0].endsWith("Inf") ? (rest[0].startsWith("-") ? Double.NEGATIVE_INFINITY
        : Double.POSITIVE_INFINITY) : Double.parseDouble(rest[0]);
    require(samples.put(series, v) == null, "duplicate series " + series);
    if (name.endsWith("_bucket") && "histogram".equals(types.get(family))) {
      require(labels.containsKey("le"), "bucket without le");
    }
  }

  private static int labels(String line, int i, Map<String, String> out) {
    while (true) {
      if (line.charAt(i) == '}') {
        return i + 1;
      }
      int eq = line.indexOf('=', i);
      require(eq > i, "label without '='");
      String label = line.substring(i, eq);
      require(LABEL.matcher(label).matches(), "bad label name " + label);
      require(line.charAt(eq + 1) == '"', "label value not quoted");
      StringBuilder value = new StringBuilder();
      int j = eq + 2;
      while (line.charAt(j) != '"') {
        char c = line.charAt(j);
        if (c == '\\') {
          char e = line.charAt(j + 1);
          require(e == '\\' || e == '"' || e == 'n', "bad escape \\" + e);
          value.append(e == 'n' ? '\n' : e);
          j += 2;
        } else {
          value.append(c);
          j++;
        }
      }
      require(out.put(label, value.toString()) == null, "label " + label + " twice");
      i = j + 1;
      if (line.charAt(i) == ',') {
        i++;
      } else {
        require(line.charAt(i) == '}', "expected ',' or '}' after a label");
      }
    }
  }

  /** The declared family a sample name belongs to, or null. */
  private String family(String name) {
    if (types.containsKey(name)) {
      return name;
    }
    for (String suffix : new String[] {"_bucket", "_count", "_sum"}) {
      if (name.endsWith(suffix)) {
        String f = name.substring(0, name.length() - suffix.length());
        String t = types.get(f);
        if ("histogram".equals(t) || ("summary".equals(t) && !suffix.equals("_bucket"))) {
          return f;
        }
      }
    }
    return null;
  }

  private void checkHistograms() {
    types.forEach((family, type) -> {
      if (!type.equals("histogram")) {
        return;
      }
      double previous = 0;
      double previousLe = Double.NEGATIVE_INFINITY;
      Double inf = null;
      for (Map.Entry<String, Double> e : samples.entrySet()) {
        if (!e.getKey().startsWith(family + "_bucket{")) {
          continue;
        }
        String le = e.getKey().replaceAll(".*le=([^,}]*).*", "$1");
        double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
        require(bound > previousLe, family + ": buckets out of order at le=" + le);
        require(e.getValue() >= previous, family + ": bucket counts decrease at le=" + le);
        previous = e.getValue();
        previousLe = bound;
        if (Double.isInfinite(bound)) {
          inf = e.getValue();
        }
      }
      require(inf != null, family + ": no +Inf bucket");
      require(inf.equals(samples.get(family + "_count{}")), family + ": +Inf bucket != _count");
    });
  }

  /** The value of {@code series} (e.g. {@code x_total{a=b}}); 0 when absent. */
  double value(String series) {
    return samples.getOrDefault(series, 0.0);
  }

  boolean has(String series) {
    return samples.containsKey(series);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
