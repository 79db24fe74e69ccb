package io.streamrank.streaming.monitor;

import static io.streamrank.streaming.monitor.MonitorFixtures.prediction;
import static io.streamrank.streaming.monitor.MonitorFixtures.reference;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** Harness tests of the drift and latency monitors on hand-made windows. */
class WindowedMonitorTest {
  static final long WINDOW = 1000;

  static KeyedOneInputStreamOperatorTestHarness<String, Prediction, MonitorReport> harness(
      WindowStatistic<Prediction> statistic) throws Exception {
    var h =
        ProcessFunctionTestHarnesses.forKeyedProcessFunction(
            new WindowedMonitor<>(statistic, WINDOW, v -> reference(0.9)),
            Prediction::getModelVersion,
            Types.STRING);
    h.open();
    return h;
  }

  @Test
  void driftReportHasTheKnownPsiAndOovRatesAndLeavesNothingBehind() throws Exception {
    try (var h = harness(new PredictionDrift())) {
      // Window [0, 1000): 80 at 3.0 and 20 at 4.0 against a 50/50 reference; 10 with unknown users.
      for (int i = 0; i < 100; i++) {
        h.processElement(
            prediction("e" + i, "v1", i * 9, i < 80 ? 3.0f : 4.0f, 0, i % 10 != 0, true), i * 9);
      }
      // Window [1000, 2000): exactly the reference.
      for (int i = 0; i < 10; i++) {
        h.processElement(prediction("f" + i, "v1", 1000 + i, i < 5 ? 3.0f : 4.0f), 1000 + i);
      }
      assertThat(h.numEventTimeTimers()).isEqualTo(2);
      h.processWatermark(999);
      List<MonitorReport> out = h.extractOutputValues();
      assertThat(out).hasSize(1);
      MonitorReport r = out.get(0);
      assertThat(r.getKind()).isEqualTo("drift");
      assertThat(r.getModelVersion()).isEqualTo("v1");
      assertThat(r.getWindowStart()).isEqualTo(0);
      assertThat(r.getWindowEnd()).isEqualTo(1000);
      assertThat(r.getMetrics().get("predictions")).isEqualTo(100.0);
      // 0.41589 for two bins; the floor on the 18 empty bins scales it by 1 / 1.0018.
      assertThat(r.getMetrics().get("prediction_psi")).isCloseTo(0.41514, within(1e-4));
      assertThat(r.getMetrics().get("prediction_js")).isBetween(0.05, 0.2);
      assertThat(r.getMetrics().get("prediction_mean")).isCloseTo(3.2, within(1e-9));
      assertThat(r.getMetrics().get("oov_user_rate")).isCloseTo(0.1, within(1e-9));
      assertThat(r.getMetrics().get("oov_movie_rate")).isZero();
      assertThat(r.getMetrics().get("oov_rate")).isCloseTo(0.1, within(1e-9));
      // Every event is in the first hour of the day, as in the reference.
      assertThat(r.getMetrics().get("hour_psi")).isCloseTo(0, within(1e-9));

      // A record for the reported window is late: counted, not reported again.
      h.processElement(prediction("late", "v1", 5, 3.0f), 5);
      h.processWatermark(2000);
      out = h.extractOutputValues();
      assertThat(out).hasSize(2);
      assertThat(out.get(1).getMetrics().get("prediction_psi")).isCloseTo(0, within(1e-9));
      assertThat(out.get(1).getMetrics().get("late")).isEqualTo(1.0);
      assertThat(h.numEventTimeTimers()).isZero();
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void eachVersionGetsItsOwnReport() throws Exception {
    try (var h = harness(new PredictionDrift())) {
      h.processElement(prediction("a", "v1", 10, 3.0f), 10);
      h.processElement(prediction("b", "v2", 20, 4.0f), 20);
      h.processWatermark(WINDOW);
      assertThat(h.extractOutputValues())
          .extracting(MonitorReport::getModelVersion)
          .containsExactlyInAnyOrder("v1", "v2");
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void latencyReportHasTheKnownPercentiles() throws Exception {
    try (var h = harness(new ServingLatency())) {
      // Processing latencies 0..99 ms in shuffled order.
      for (int i = 0; i < 100; i++) {
        int ms = (i * 37) % 100;
        h.processElement(prediction("e" + i, "v1", 100 + i, 3f, ms, true, true), 100 + i);
      }
      h.processWatermark(WINDOW);
      MonitorReport r = h.extractOutputValues().get(0);
      assertThat(r.getKind()).isEqualTo("latency");
      assertThat(r.getMetrics().get("predictions")).isEqualTo(100.0);
      assertThat(r.getMetrics().get("processing_p50")).isEqualTo(49.0);
      assertThat(r.getMetrics().get("processing_p95")).isEqualTo(94.0);
      assertThat(r.getMetrics().get("processing_p99")).isEqualTo(98.0);
      // Lag is scored_time - event time: 1000 ms plus the processing latency.
      assertThat(r.getMetrics().get("lag_p50") / 1049.0).isBetween(0.95, 1.05);
      assertThat(h.numEventTimeTimers()).isZero();
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void withoutAReferenceDriftIsNaNButCountsAreReported() throws Exception {
    try (var h =
        ProcessFunctionTestHarnesses.forKeyedProcessFunction(
            new WindowedMonitor<>(
                new PredictionDrift(),
                WINDOW,
                v -> {
                  throw new java.io.IOException("no manifest for " + v);
                }),
            Prediction::getModelVersion,
            Types.STRING)) {
      h.open();
      h.processElement(prediction("a", "v1", 10, 3.0f), 10);
      h.processWatermark(WINDOW);
      MonitorReport r = h.extractOutputValues().get(0);
      assertThat(r.getMetrics().get("prediction_psi")).isNaN();
      assertThat(r.getMetrics().get("predictions")).isEqualTo(1.0);
    }
  }
}
