package io.streamrank.streaming.monitor;

import static io.streamrank.streaming.monitor.MonitorFixtures.prediction;
import static io.streamrank.streaming.monitor.MonitorFixtures.reference;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/**
 * Harness tests of the per-subtask pre-aggregation: what it flushes and when, and that merging its
 * partials reports exactly what the monitor reports over the single records.
 */
class PartialWindowsTest {
  static final long WINDOW = WindowedMonitorTest.WINDOW;

  static OneInputStreamOperatorTestHarness<Prediction, WindowPartial> partials(
      WindowStatistic<Prediction> statistic) throws Exception {
    var h =
        new OneInputStreamOperatorTestHarness<>(
            new PartialWindows<>(
                statistic, Prediction::getModelVersion, WINDOW, v -> reference(0.9)));
    h.open();
    return h;
  }

  @Test
  void flushesOnePartialPerVersionAndWindowBeforeEachWatermarkAndCheckpoint() throws Exception {
    try (var h = partials(new PredictionDrift())) {
      for (int i = 0; i < 50; i++) {
        h.processElement(prediction("a" + i, "v1", i * 30L, 3.0f), i * 30L); // windows 0 and 1000
      }
      h.processElement(prediction("b", "v2", 10, 4.0f), 10);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processWatermark(500);
      List<WindowPartial> out = h.extractOutputValues();
      assertThat(out).hasSize(3);
      assertThat(out.stream().mapToLong(p -> p.records).sum()).isEqualTo(51);
      // The partials come before the watermark that could close their window.
      Object[] emitted = h.getOutput().toArray();
      assertThat(emitted[emitted.length - 1]).isInstanceOf(Watermark.class);

      h.processElement(prediction("c", "v1", 2500, 3.0f), 2500);
      h.prepareSnapshotPreBarrier(1);
      assertThat(h.extractOutputValues()).hasSize(4);
      // Nothing is held across a checkpoint: the operator has no state to snapshot.
      h.processWatermark(600);
      assertThat(h.extractOutputValues()).hasSize(4);
    }
  }

  @Test
  void mergedPartialsReportWhatSingleRecordsReport() throws Exception {
    List<Prediction> records =
        List.of(
            prediction("e1", "v1", 10, 3.0f, 5, false, true),
            prediction("e2", "v1", 20, 4.0f, 50, true, false),
            prediction("e3", "v1", 700, 2.0f, 120, true, true),
            prediction("e4", "v1", 990, 5.0f, 2_000, true, true),
            prediction("e5", "v1", 1200, 3.5f, 7, true, true));
    for (WindowStatistic<Prediction> statistic :
        List.<WindowStatistic<Prediction>>of(new PredictionDrift(), new ServingLatency())) {
      List<MonitorReport> direct;
      try (var h = WindowedMonitorTest.harness(statistic)) {
        for (Prediction p : records) {
          h.processElement(p, p.getEventTimestamp());
        }
        h.processWatermark(2 * WINDOW);
        direct = h.extractOutputValues();
      }
      List<WindowPartial> partials;
      try (var h = partials(statistic)) {
        // Two flushes, so one window's records arrive in two partials.
        for (int i = 0; i < records.size(); i++) {
          h.processElement(records.get(i), records.get(i).getEventTimestamp());
          if (i == 1) {
            h.processWatermark(0);
          }
        }
        h.processWatermark(1);
        partials = h.extractOutputValues();
      }
      assertThat(partials).hasSize(3);
      List<MonitorReport> merged;
      try (var h =
          ProcessFunctionTestHarnesses.forKeyedProcessFunction(
              new WindowedMonitor<>(new PartialStatistic<>(statistic), WINDOW, v -> reference(0.9)),
              WindowPartial::getModelVersion,
              Types.STRING)) {
        h.open();
        for (WindowPartial p : partials) {
          h.processElement(p, p.windowStart);
        }
        h.processWatermark(2 * WINDOW);
        merged = h.extractOutputValues();
        assertThat(h.numKeyedStateEntries()).isZero();
      }
      assertThat(merged).hasSize(2).isEqualTo(direct);
    }
  }

  @Test
  void aLatePartialCountsEveryRecordItHolds() throws Exception {
    try (var h =
        ProcessFunctionTestHarnesses.forKeyedProcessFunction(
            new WindowedMonitor<>(
                new PartialStatistic<>(new PredictionDrift()), WINDOW, v -> reference(0.9)),
            WindowPartial::getModelVersion,
            Types.STRING)) {
      h.open();
      h.processElement(new WindowPartial("v1", 0, 3, new double[new PredictionDrift().size()]), 0);
      h.processWatermark(WINDOW);
      h.processElement(new WindowPartial("v1", 0, 7, new double[new PredictionDrift().size()]), 0);
      h.processElement(
          new WindowPartial("v1", WINDOW, 1, new double[new PredictionDrift().size()]), WINDOW);
      h.processWatermark(2 * WINDOW);
      List<MonitorReport> out = h.extractOutputValues();
      assertThat(out).hasSize(2);
      assertThat(out.get(1).getMetrics().get("late")).isEqualTo(7.0);
    }
  }
}
