package io.streamrank.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.streaming.monitor.TriggerPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The demo's monitoring report ({@code ./streamrank demo --report FILE}): one self-contained HTML
 * page with charts over event time, drawn by uPlot, whose JavaScript and CSS are inlined from its
 * webjar so the page opens without a network.
 *
 * <p>Charts, one point per monitor window (at the window's end): the prequential RMSE with the
 * serving version's validation RMSE and the level at which {@code rmse_increase} breaches; the
 * drift scores (PSI of predictions, hour of day, user activity, movie popularity and ratings) with
 * their trigger thresholds; the out-of-vocabulary rate with its threshold; and the processing
 * latency percentiles. A dashed vertical line marks the event time of the first prediction of each
 * version that was swapped in. When two versions report the same window (the one a swap falls in),
 * the chart shows the report of the version that served most of it (most predictions, or most
 * labels for the error figures).
 */
public final class MonitorHtmlReport {
  /**
   * Where the uPlot webjar keeps its files; the version is the parent pom's {@code uplot.version}.
   */
  static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";

  private static final String SCRIPT = "io/streamrank/local/report/monitor-report.js";
  private static final String[] COLORS = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"
  };

  /**
   * Where a version was swapped in.
   *
   * @param version the version swapped in
   * @param eventTimeMs event time of its first prediction, epoch milliseconds
   */
  public record SwapMark(String version, long eventTimeMs) {}

  private final String title;
  private final String conditions;
  private final TriggerPolicy policy;

  /**
   * @param title the page's heading
   * @param conditions one line on what ran (data, windows, rates), printed under the heading
   * @param policy the trigger thresholds drawn next to the figures
   */
  public MonitorHtmlReport(String title, String conditions, TriggerPolicy policy) {
    this.title = title;
    this.conditions = conditions;
    this.policy = policy;
  }

  /** Writes the page for the reports and swaps to {@code file}. */
  public void write(Path file, List<MonitorReport> reports, List<SwapMark> swaps)
      throws IOException {
    Files.writeString(file, render(reports, swaps), StandardCharsets.UTF_8);
  }

  /** The page for the window reports (any kind; those without charts are ignored) and swaps. */
  public String render(List<MonitorReport> reports, List<SwapMark> swaps) {
    Map<String, TreeMap<Long, MonitorReport>> byKind = new LinkedHashMap<>();
    for (String kind : List.of("drift", "error", "latency")) {
      byKind.put(
          kind, servingReports(reports, kind, kind.equals("error") ? "labelled" : "predictions"));
    }
    TreeSet<Long> windowEnds = new TreeSet<>();
    byKind.values().forEach(m -> windowEnds.addAll(m.keySet()));
    List<Long> ends = new ArrayList<>(windowEnds);

    Map<String, Double> thresholds = new LinkedHashMap<>();
    for (TriggerPolicy.Signal s : policy.signals()) {
      thresholds.put(s.metric(), s.threshold());
    }
    List<Map<String, Object>> charts = new ArrayList<>();
    charts.add(rmseChart(byKind.get("error"), ends));
    charts.add(driftChart(byKind, ends, thresholds));
    charts.add(
        chart(
            "oov",
            "Out-of-vocabulary rate (unknown user or movie) against its threshold",
            "share of predictions",
            ends,
            List.of(
                series("oov_rate", figure(byKind.get("drift"), ends, "oov_rate"), 0, false),
                series(
                    "threshold " + thresholds.get("oov_rate"),
                    constant(ends, thresholds.get("oov_rate")),
                    1,
                    true))));
    charts.add(
        chart(
            "latency",
            "Processing latency per window (ingest into scoring \u2192 scored)",
            "ms",
            ends,
            List.of(
                series("p50", figure(byKind.get("latency"), ends, "processing_p50"), 2, false),
                series("p95", figure(byKind.get("latency"), ends, "processing_p95"), 3, false),
                series("p99", figure(byKind.get("latency"), ends, "processing_p99"), 1, false))));

    List<Map<String, Object>> marks = new ArrayList<>();
    for (SwapMark s : swaps) {
      marks.add(Map.of("t", s.eventTimeMs() / 1000.0, "label", s.version()));
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("marks", marks);
    data.put("charts", charts);
    return page(charts, data);
  }

  private Map<String, Object> rmseChart(TreeMap<Long, MonitorReport> error, List<Long> ends) {
    List<Double> reference = figure(error, ends, "rmse_reference");
    List<Double> breach = new ArrayList<>();
    for (Double r : reference) {
      breach.add(r == null ? null : r * (1 + policy.rmseIncrease()));
    }
    return chart(
        "rmse",
        "Rolling RMSE (prequential: each event scored before its rating arrived)",
        "RMSE",
        ends,
        List.of(
            series("rmse", figure(error, ends, "rmse"), 0, false),
            series("validation RMSE of the serving version", reference, 2, true),
            series(
                "breach level (+" + Math.round(policy.rmseIncrease() * 100) + "%)",
                breach,
                1,
                true)));
  }

  private Map<String, Object> driftChart(
      Map<String, TreeMap<Long, MonitorReport>> byKind,
      List<Long> ends,
      Map<String, Double> thresholds) {
    Map<String, String> signals = new LinkedHashMap<>();
    signals.put("prediction_psi", "drift");
    signals.put("hour_psi", "drift");
    signals.put("user_activity_psi", "drift");
    signals.put("movie_popularity_psi", "drift");
    signals.put("rating_psi", "error");
    List<Map<String, Object>> series = new ArrayList<>();
    int color = 0;
    // One dashed line per distinct threshold, naming the signals it applies to.
    Map<Double, List<String>> levels = new TreeMap<>();
    for (Map.Entry<String, String> s : signals.entrySet()) {
      series.add(
          series(s.getKey(), figure(byKind.get(s.getValue()), ends, s.getKey()), color++, false));
      levels.computeIfAbsent(thresholds.get(s.getKey()), k -> new ArrayList<>()).add(s.getKey());
    }
    for (Map.Entry<Double, List<String>> level : levels.entrySet()) {
      String label =
          levels.size() == 1
              ? "threshold " + level.getKey()
              : "threshold " + level.getKey() + " (" + String.join(", ", level.getValue()) + ")";
      series.add(series(label, constant(ends, level.getKey()), 7, true));
    }
    return chart(
        "drift",
        "Drift against the serving version's reference (PSI) and the trigger thresholds",
        "PSI",
        ends,
        series);
  }

  /**
   * For each window end, the report of a kind from the version that served most of the window
   * ({@code weight} is the figure that counts its records).
   */
  static TreeMap<Long, MonitorReport> servingReports(
      List<MonitorReport> reports, String kind, String weight) {
    TreeMap<Long, MonitorReport> out = new TreeMap<>();
    for (MonitorReport r : reports) {
      if (!r.getKind().equals(kind)) {
        continue;
      }
      out.merge(r.getWindowEnd(), r, (a, b) -> records(b, weight) > records(a, weight) ? b : a);
    }
    return out;
  }

  private static double records(MonitorReport r, String weight) {
    Double v = r.getMetrics().get(weight);
    return v == null ? 0 : v;
  }

  /** A figure per window end; null where the window has no report or the figure is undefined. */
  private static List<Double> figure(
      TreeMap<Long, MonitorReport> reports, List<Long> ends, String metric) {
    List<Double> out = new ArrayList<>(ends.size());
    for (Long end : ends) {
      MonitorReport r = reports.get(end);
      Double v = r == null ? null : r.getMetrics().get(metric);
      out.add(v == null || !Double.isFinite(v) ? null : v);
    }
    return out;
  }

  private static List<Double> constant(List<Long> ends, double value) {
    List<Double> out = new ArrayList<>(ends.size());
    ends.forEach(e -> out.add(value));
    return out;
  }

  private static Map<String, Object> series(
      String label, List<Double> values, int color, boolean dash) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("label", label);
    s.put("values", values);
    s.put("color", COLORS[color % COLORS.length]);
    s.put("dash", dash);
    return s;
  }

  private static Map<String, Object> chart(
      String id, String title, String unit, List<Long> ends, List<Map<String, Object>> series) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("id", id);
    c.put("title", title);
    c.put("unit", unit);
    c.put("x", ends.stream().map(e -> e / 1000.0).toList());
    c.put("series", series);
    return c;
  }

  private String page(List<Map<String, Object>> charts, Map<String, Object> data) {
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>")
        .append(escape(title))
        .append("</title>\n<style>\n")
        .append(resource(UPLOT + "uPlot.min.css"))
        .append(
            "\nbody{font-family:sans-serif;margin:24px;color:#222}"
                + " .chart{margin:28px 0} p.conditions{color:#555}\n")
        .append("</style>\n<script>\n")
        .append(resource(UPLOT + "uPlot.iife.min.js"))
        .append("\n</script>\n</head>\n<body data-charts=\"")
        .append(charts.size())
        .append("\" data-charts-rendered=\"0\">\n<h1>")
        .append(escape(title))
        .append("</h1>\n<p class=\"conditions\">")
        .append(escape(conditions))
        .append("</p>\n");
    for (Map<String, Object> c : charts) {
      html.append("<div class=\"chart\" id=\"chart-")
          .append(c.get("id"))
          .append("\" data-rendered=\"false\"></div>\n");
    }
    html.append("<script type=\"application/json\" id=\"report-data\">")
        .append(json(data))
        .append("</script>\n<script>\n")
        .append(resource(SCRIPT))
        .append("</script>\n</body>\n</html>\n");
    return html.toString();
  }

  /** The data as JSON that cannot end its script element: every {@code <} is escaped. */
  private static String json(Object data) {
    try {
      return new ObjectMapper().writeValueAsString(data).replace("<", "\\u003c");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the report data as JSON", e);
    }
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static String resource(String name) {
    try (InputStream in = MonitorHtmlReport.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(
            "report resource " + name + " is not on the classpath (is the uplot webjar missing?)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read report resource " + name, e);
    }
  }
}
