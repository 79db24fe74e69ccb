package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.streaming.monitor.TriggerPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The report page without a browser: its data, the inlined library, nothing fetched. */
class MonitorHtmlReportTest {
  static final long DAY = 86_400_000L;
  static final long T0 = 1_704_067_200_000L;

  /** Thresholds: PSI 0.25, user activity 0.4, OOV 0.3, RMSE +15%. */
  static final TriggerPolicy POLICY =
      new TriggerPolicy(0.25, 0.25, 0.4, 0.25, 0.25, 0.3, 0.15, 100, 300, 2, DAY, DAY, 0);

  static MonitorReport report(String kind, String version, int window, Map<String, Double> m) {
    return MonitorReport.newBuilder()
        .setWindowStart(T0 + window * DAY)
        .setWindowEnd(T0 + (window + 1) * DAY)
        .setModelVersion(version)
        .setKind(kind)
        .setMetrics(new HashMap<>(m))
        .setMessage(null)
        .build();
  }

  /**
   * Six daily windows: v1 serves windows 0–3, v2 is swapped in during window 3 (it scores 10 of
   * that window's 310 predictions, so window 3 is v1's) and serves 4–5. Window 1 has no labels.
   */
  static List<MonitorReport> reports() {
    List<MonitorReport> out = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      String v = w < 4 ? "v1" : "v2";
      double n = w == 3 ? 300 : 500;
      out.add(
          report(
              "drift",
              v,
              w,
              Map.of(
                  "predictions",
                  n,
                  "prediction_psi",
                  0.01 * w,
                  "hour_psi",
                  0.02,
                  "user_activity_psi",
                  w == 2 ? 0.7 : 0.05,
                  "movie_popularity_psi",
                  Double.NaN,
                  "oov_rate",
                  0.1)));
      out.add(
          report(
              "error",
              v,
              w,
              Map.of(
                  "labelled", w == 1 ? 0.0 : n,
                  "rmse", w == 1 ? Double.NaN : 0.9 + 0.05 * w,
                  "rmse_reference", v.equals("v1") ? 0.9 : 0.85,
                  "rating_psi", 0.03)));
      out.add(
          report(
              "latency",
              v,
              w,
              Map.of(
                  "predictions",
                  n,
                  "processing_p50",
                  5.0 + w,
                  "processing_p95",
                  20.0,
                  "processing_p99",
                  40.0)));
    }
    out.add(report("drift", "v2", 3, Map.of("predictions", 10.0, "prediction_psi", 9.0)));
    out.add(report("swap", "v2", 0, Map.of()));
    return out;
  }

  static String render() {
    return new MonitorHtmlReport("streamrank demo", "test <fixture> & co", POLICY)
        .render(reports(), List.of(new MonitorHtmlReport.SwapMark("v2", T0 + 3 * DAY + 7_200_000)));
  }

  static JsonNode data(String html) throws IOException {
    Matcher m =
        Pattern.compile("<script type=\"application/json\" id=\"report-data\">(.*?)</script>")
            .matcher(html);
    assertThat(m.find()).as("report data block").isTrue();
    return new ObjectMapper().readTree(m.group(1));
  }

  static JsonNode series(JsonNode chart, String label) {
    for (JsonNode s : chart.get("series")) {
      if (s.get("label").asText().equals(label)) {
        return s.get("values");
      }
    }
    throw new AssertionError("no series " + label + " in " + chart.get("id"));
  }

  static JsonNode chart(JsonNode data, String id) {
    for (JsonNode c : data.get("charts")) {
      if (c.get("id").asText().equals(id)) {
        return c;
      }
    }
    throw new AssertionError("no chart " + id);
  }

  @Test
  void chartsCarryTheWindowFiguresAndTheSwap() throws Exception {
    JsonNode data = data(render());
    assertThat(data.get("charts"))
        .extracting(c -> c.get("id").asText())
        .containsExactly("rmse", "drift", "oov", "latency");
    for (JsonNode c : data.get("charts")) {
      assertThat(c.get("x")).hasSize(6);
      assertThat(c.get("x").get(0).asDouble()).isEqualTo((T0 + DAY) / 1000.0);
    }
    JsonNode rmse = chart(data, "rmse");
    assertThat(series(rmse, "rmse").get(0).asDouble()).isEqualTo(0.9);
    assertThat(series(rmse, "rmse").get(1).isNull()).as("NaN becomes a gap").isTrue();
    assertThat(series(rmse, "validation RMSE of the serving version").get(5).asDouble())
        .isEqualTo(0.85);
    assertThat(series(rmse, "breach level (+15%)").get(0).asDouble())
        .isCloseTo(0.9 * 1.15, org.assertj.core.data.Offset.offset(1e-12));

    JsonNode drift = chart(data, "drift");
    // Window 3 shows v1's report (300 predictions), not v2's 10.
    assertThat(series(drift, "prediction_psi").get(3).asDouble()).isEqualTo(0.03);
    assertThat(series(drift, "user_activity_psi").get(2).asDouble()).isEqualTo(0.7);
    assertThat(series(drift, "movie_popularity_psi").get(0).isNull()).isTrue();
    assertThat(series(drift, "rating_psi").get(4).asDouble()).isEqualTo(0.03);
    assertThat(series(drift, "threshold 0.4 (user_activity_psi)").get(0).asDouble()).isEqualTo(0.4);
    assertThat(series(chart(data, "oov"), "threshold 0.3").get(5).asDouble()).isEqualTo(0.3);
    assertThat(series(chart(data, "latency"), "p50").get(5).asDouble()).isEqualTo(10.0);

    assertThat(data.get("marks")).hasSize(1);
    assertThat(data.get("marks").get(0).get("label").asText()).isEqualTo("v2");
    assertThat(data.get("marks").get(0).get("t").asDouble())
        .isEqualTo((T0 + 3 * DAY + 7_200_000) / 1000.0);
  }

  @Test
  void libraryIsInlinedAndNothingIsFetched() throws Exception {
    String html = render();
    String js = webjar("uPlot.iife.min.js");
    String css = webjar("uPlot.min.css");
    assertThat(html).contains(js).contains(css);
    assertThat(html).contains("<div class=\"chart\" id=\"chart-rmse\"");
    assertThat(html).contains("test &lt;fixture&gt; &amp; co");
    String lower = html.toLowerCase(java.util.Locale.ROOT);
    assertThat(lower).doesNotContain(" src=").doesNotContain(" href=").doesNotContain("<link");
    assertThat(lower).doesNotContain("url(").doesNotContain("@import");
    // The only address on the page is uPlot's own licence banner, a comment.
    String banner = "/*! https://github.com/leeoniya/uPlot (v1.6.30) */";
    assertThat(html).contains(banner);
    assertThat(html.replace(banner, "")).doesNotContain("http://").doesNotContain("https://");
  }

  static String webjar(String file) throws IOException {
    try (InputStream in =
        MonitorHtmlReportTest.class
            .getClassLoader()
            .getResourceAsStream(MonitorHtmlReport.UPLOT + file)) {
      assertThat(in).as("uplot webjar file " + file).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
