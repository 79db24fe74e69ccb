package io.streamrank.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.streaming.monitor.MonitorReference;
import io.streamrank.streaming.monitor.PredictionDrift;
import io.streamrank.streaming.monitor.PrequentialError;
import io.streamrank.streaming.monitor.ServingLatency;
import io.streamrank.streaming.monitor.WindowStatistic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment files at the repository root ({@code docker-compose.yml}, {@code deploy/}) read
 * the way the tests need them: the compose file as plain maps, the Grafana dashboard's Prometheus
 * metrics, and the Kafka ACLs of {@code deploy/kafka/acls.txt} with Kafka's rules for deciding a
 * request.
 */
final class DeploymentFiles {
  /** Every metric the job registers lives in an operator's scope: this is its Prometheus prefix. */
  static final String OPERATOR_PREFIX = "flink_taskmanager_job_task_operator_";

  private static final Pattern METRIC =
      Pattern.compile("\\b(" + OPERATOR_PREFIX + "[A-Za-z0-9_]+)(\\{[^}]*\\})?");
  private static final Pattern MONITOR_LABEL = Pattern.compile("monitor=\"([a-z]+)\"");

  private DeploymentFiles() {}

  /** The repository root (tests run in the module directory). */
  static Path root() {
    Path here = Path.of("").toAbsolutePath();
    return Files.isRegularFile(here.resolve("docker-compose.yml")) ? here : here.getParent();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> compose() throws IOException {
    return (Map<String, Object>)
        new Yaml().load(Files.readString(root().resolve("docker-compose.yml")));
  }

  static JsonNode dashboard() throws IOException {
    return new ObjectMapper()
        .readTree(root().resolve("deploy/grafana/dashboards/streamrank.json").toFile());
  }

  /**
   * A metric a dashboard query names: its Prometheus name and, for the monitors' metrics ({@code
   * addGroup("monitor", kind)} in the job), the kind its {@code monitor} label selects.
   */
  record QueriedMetric(String name, String monitorKind) {
    /** The name the job gives it: the part after the operator scope and the monitor group. */
    String jobName() {
      String rest = name.substring(OPERATOR_PREFIX.length());
      return monitorKind == null ? rest : rest.substring("monitor_".length());
    }
  }

  /** Every metric named in the dashboard's queries. */
  static Set<QueriedMetric> queriedMetrics(JsonNode dashboard) {
    Set<QueriedMetric> out = new LinkedHashSet<>();
    for (String expr : queries(dashboard)) {
      Matcher m = METRIC.matcher(expr);
      while (m.find()) {
        String labels = m.group(2) == null ? "" : m.group(2);
        Matcher kind = MONITOR_LABEL.matcher(labels);
        boolean monitor = m.group(1).startsWith(OPERATOR_PREFIX + "monitor_");
        out.add(new QueriedMetric(m.group(1), monitor && kind.find() ? kind.group(1) : null));
      }
    }
    return out;
  }

  static List<String> queries(JsonNode dashboard) {
    List<String> out = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        out.add(target.path("expr").asText());
      }
    }
    return out;
  }

  /**
   * The figures of each window statistic, published as gauges under {@code monitor.<kind>} once a
   * window closes (WindowedMonitor), asked of the statistics themselves.
   */
  static Map<String, Set<String>> windowFigures() {
    Map<String, Set<String>> out = new java.util.TreeMap<>();
    List<WindowStatistic<?>> statistics =
        List.of(new PredictionDrift(), new PrequentialError(), new ServingLatency());
    for (WindowStatistic<?> s : statistics) {
      Set<String> names =
          new LinkedHashSet<>(s.metrics(new double[s.size()], MonitorReference.NONE).keySet());
      names.add("late");
      out.put(s.kind(), names);
    }
    return out;
  }

  /** One line of {@code deploy/kafka/acls.txt}. */
  record Acl(
      boolean allow,
      String principal,
      String operation,
      String resourceType,
      String name,
      boolean prefixed) {
    boolean matches(String principal, String operation, String resourceType, String name) {
      boolean op =
          this.operation.equals(operation)
              || this.operation.equals("All")
              // Kafka: an allowed Read, Write, Delete or Alter implies Describe.
              || (allow
                  && operation.equals("Describe")
                  && List.of("Read", "Write", "Delete", "Alter").contains(this.operation));
      boolean resource =
          this.resourceType.equals(resourceType)
              && (prefixed ? name.startsWith(this.name) : this.name.equals(name));
      return this.principal.equals(principal) && op && resource;
    }
  }

  static List<Acl> acls() throws IOException {
    List<Acl> out = new ArrayList<>();
    int n = 0;
    for (String line :
        Files.readAllLines(root().resolve("deploy/kafka/acls.txt"), StandardCharsets.UTF_8)) {
      n++;
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] f = t.split("\\s+");
      if (f.length < 5 || f.length > 6 || !(f[0].equals("allow") || f[0].equals("deny"))) {
        throw new IllegalArgumentException("acls.txt line " + n + " is malformed: " + line);
      }
      String pattern = f.length == 6 ? f[5] : "literal";
      if (!pattern.equals("literal") && !pattern.equals("prefixed")) {
        throw new IllegalArgumentException("acls.txt line " + n + ": bad pattern " + pattern);
      }
      out.add(new Acl(f[0].equals("allow"), f[1], f[2], f[3], f[4], pattern.equals("prefixed")));
    }
    return out;
  }

  /**
   * Kafka's StandardAuthorizer with {@code allow.everyone.if.no.acl.found=false}: a matching deny
   * wins; otherwise a matching allow is needed.
   */
  static boolean authorized(
      List<Acl> acls, String principal, String operation, String resourceType, String name) {
    boolean denied =
        acls.stream()
            .anyMatch(a -> !a.allow() && a.matches(principal, operation, resourceType, name));
    boolean allowed =
        acls.stream()
            .anyMatch(a -> a.allow() && a.matches(principal, operation, resourceType, name));
    return !denied && allowed;
  }
}
