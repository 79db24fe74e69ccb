package io.streamrank.streaming.monitor;

import static io.streamrank.streaming.monitor.MonitorFixtures.report;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.RetrainRequest;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** Harness tests of the trigger policy: hysteresis, minimum labels, one open request, cooldown. */
class RetrainTriggerTest {
  static final long W = 1000;

  /** PSI 0.25, RMSE +15%, 100 labels a window, 300 new labels, 2 windows, cooldown 3, timeout 5. */
  static final TriggerPolicy POLICY =
      new TriggerPolicy(0.25, 0.25, 0.25, 0.25, 0.25, 0.3, 0.15, 100, 300, 2, 3 * W, 5 * W, 0);

  static KeyedOneInputStreamOperatorTestHarness<String, MonitorReport, RetrainRequest> trigger()
      throws Exception {
    var h =
        ProcessFunctionTestHarnesses.forKeyedProcessFunction(
            new RetrainTrigger(POLICY), r -> RetrainTrigger.KEY, Types.STRING);
    h.open();
    return h;
  }

  static MonitorReport error(String version, int window, double increase, double labelled) {
    return report(
        "error",
        version,
        window * W,
        (window + 1) * W,
        Map.of("rmse_increase", increase, "labelled", labelled, "rating_psi", 0.01));
  }

  static MonitorReport drift(String version, int window, double psi) {
    return report(
        "drift",
        version,
        window * W,
        (window + 1) * W,
        Map.of("prediction_psi", psi, "oov_rate", 0.0, "predictions", 500.0));
  }

  /**
   * Sends a report with its window's timestamp, then moves the watermark past it, as when every
   * report arrives in window order.
   */
  static void send(
      KeyedOneInputStreamOperatorTestHarness<String, MonitorReport, RetrainRequest> h,
      MonitorReport report)
      throws Exception {
    h.processElement(report, report.getWindowEnd() - 1);
    h.processWatermark(report.getWindowEnd() - 1);
  }

  /** Sends a report of a window the watermark has already passed. */
  static void late(
      KeyedOneInputStreamOperatorTestHarness<String, MonitorReport, RetrainRequest> h,
      MonitorReport report)
      throws Exception {
    h.processElement(report, report.getWindowEnd() - 1);
  }

  static MonitorReport swap(String version) {
    return report("swap", version, 0, 0, Map.of());
  }

  @Test
  void aSingleBadWindowRaisesNothing() throws Exception {
    try (var h = trigger()) {
      for (int w = 0; w < 10; w++) {
        send(h, error("v1", w, w == 4 ? 0.5 : 0.02, 200));
        send(h, drift("v1", w, w == 6 ? 0.9 : 0.01));
      }
      assertThat(h.extractOutputValues()).isEmpty();
    }
  }

  @Test
  void sustainedDegradationRaisesExactlyOneRequestNamingReasonAndWindow() throws Exception {
    try (var h = trigger()) {
      send(h, error("v1", 0, 0.02, 200));
      for (int w = 1; w < 5; w++) {
        send(h, error("v1", w, 0.4, 200));
      }
      assertThat(h.extractOutputValues()).hasSize(1);
      RetrainRequest r = h.extractOutputValues().get(0);
      assertThat(r.getServingVersion()).isEqualTo("v1");
      assertThat(r.getReason()).contains("rmse_increase 0.4000 > 0.1500 for 2 windows");
      assertThat(r.getWindowStart()).isEqualTo(1 * W);
      assertThat(r.getWindowEnd()).isEqualTo(3 * W);
      assertThat(h.getSideOutput(RetrainTrigger.REPORTS)).hasSize(1);
      assertThat(h.getSideOutput(RetrainTrigger.REPORTS).peek().getValue().getKind())
          .isEqualTo("retrain");
    }
  }

  @Test
  void windowsWithTooFewLabelsNeitherBreachNorBreakAStreak() throws Exception {
    try (var h = trigger()) {
      send(h, error("v1", 0, 0.4, 200));
      send(h, error("v1", 1, 0.9, 10)); // too few labels: no evidence
      assertThat(h.extractOutputValues()).isEmpty();
      send(h, error("v1", 2, 0.4, 200));
      assertThat(h.extractOutputValues()).hasSize(1);
    }
  }

  @Test
  void noRequestUntilEnoughNewLabels() throws Exception {
    try (var h = trigger()) {
      // Drift breaches from the start, but only 100 labels a window arrive: 300 after window 2.
      for (int w = 0; w < 3; w++) {
        send(h, drift("v1", w, 0.9));
        send(h, error("v1", w, 0.0, 100));
        assertThat(h.extractOutputValues()).as("window %d", w).hasSize(w < 2 ? 0 : 1);
      }
      assertThat(h.extractOutputValues().get(0).getReason()).startsWith("prediction_psi 0.9000");
    }
  }

  @Test
  void reportsOfAWindowAreJudgedTogetherWhateverOrderTheyArriveIn() throws Exception {
    // Drift breaches from window 1; 200 labels a window come with the error reports.
    List<RetrainRequest> inOrder;
    try (var h = trigger()) {
      for (int w = 0; w < 4; w++) {
        send(h, drift("v1", w, w >= 1 ? 0.9 : 0.01));
        send(h, error("v1", w, 0.02, 200));
      }
      inOrder = h.extractOutputValues();
    }
    assertThat(inOrder).hasSize(1);
    assertThat(inOrder.get(0).getWindowStart()).isEqualTo(1 * W);
    assertThat(inOrder.get(0).getWindowEnd()).isEqualTo(3 * W);
    try (var h = trigger()) {
      // The drift reports outrun the error reports that carry the labels: judged in arrival
      // order, windows 1 and 2 would look short of labels and the request would come late or
      // with a window that misses the breach.
      for (int w = 0; w < 4; w++) {
        h.processElement(drift("v1", w, w >= 1 ? 0.9 : 0.01), (w + 1) * W - 1);
      }
      for (int w = 0; w < 4; w++) {
        h.processElement(error("v1", w, 0.02, 200), (w + 1) * W - 1);
      }
      assertThat(h.extractOutputValues()).as("nothing before the watermark").isEmpty();
      h.processWatermark(4 * W - 1);
      assertThat(h.extractOutputValues()).isEqualTo(inOrder);
    }
  }

  @Test
  void oneOpenRequestUntilASwapThenCooldownThenANewOne() throws Exception {
    try (var h = trigger()) {
      for (int w = 0; w < 4; w++) {
        send(h, error("v1", w, 0.5, 200));
      }
      assertThat(h.extractOutputValues()).hasSize(1); // windows 2 and 3 breach again: still open
      h.processElement(swap("v2"), 0);
      h.processElement(swap("v2"), 0); // every scoring subtask reports the swap
      // The old version's late windows are ignored; v2 breaches from window 4 but cools down
      // until event time 7000 (latest window end 4000 + 3000), the end of window 6.
      send(h, error("v1", 4, 0.9, 200));
      for (int w = 4; w < 6; w++) {
        send(h, error("v2", w, 0.5, 200));
      }
      assertThat(h.extractOutputValues()).hasSize(1);
      send(h, error("v2", 6, 0.5, 200));
      assertThat(h.extractOutputValues()).hasSize(2);
      assertThat(h.extractOutputValues().get(1).getServingVersion()).isEqualTo("v2");
    }
  }

  @Test
  void anAbandonedRequestTimesOutAndMayBeRaisedAgain() throws Exception {
    try (var h = trigger()) {
      for (int w = 0; w < 12; w++) {
        send(h, error("v1", w, 0.5, 200));
      }
      // First at the end of window 1 (2000), open until 2000 + 5000; the next at 7000, 12000.
      assertThat(h.extractOutputValues())
          .extracting(RetrainRequest::getWindowEnd)
          .containsExactly(2 * W, 7 * W, 12 * W);
    }
  }

  @Test
  void aScheduleRequestsEveryRatingWhileTheSignalsStayQuietAndRestartsOnASwap() throws Exception {
    // POLICY plus a schedule of 4 windows; RMSE falls rather than rises, so no signal breaches.
    TriggerPolicy scheduled =
        new TriggerPolicy(
            0.25, 0.25, 0.25, 0.25, 0.25, 0.3, 0.15, 100, 300, 2, 3 * W, 5 * W, 4 * W);
    try (var h =
        ProcessFunctionTestHarnesses.forKeyedProcessFunction(
            new RetrainTrigger(scheduled), r -> RetrainTrigger.KEY, Types.STRING)) {
      h.open();
      for (int w = 10; w < 14; w++) {
        send(h, error("v1", w, -0.1, 200));
      }
      // v1 serves from 10000; the schedule is due at the end of window 13 (14000).
      assertThat(h.extractOutputValues()).hasSize(1);
      RetrainRequest r = h.extractOutputValues().get(0);
      assertThat(r.getReason()).startsWith("schedule: ");
      assertThat(r.getWindowStart()).as("every rating up to the end").isZero();
      assertThat(r.getWindowEnd()).isEqualTo(14 * W);
      h.processElement(swap("v2"), 0);
      // Cooldown until 17000, schedule due at 18000 (4 windows after the swap at 14000).
      for (int w = 14; w < 17; w++) {
        send(h, error("v2", w, -0.1, 200));
      }
      assertThat(h.extractOutputValues()).hasSize(1);
      send(h, error("v2", 17, -0.1, 200));
      assertThat(h.extractOutputValues()).hasSize(2);
      assertThat(h.extractOutputValues().get(1).getServingVersion()).isEqualTo("v2");
    }
  }

  @Test
  void aNegativeScheduleIsRejectedByName() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new TriggerPolicy(0.25, 0.25, 0.25, 0.25, 0.25, 0.3, 0.15, 1, 1, 1, 0, 1, -1))
        .hasMessageContaining("trigger schedule");
  }

  @Test
  void unmatchedRatingsReportedFirstDoNotHideTheServingVersion() throws Exception {
    try (var h = trigger()) {
      send(h, error(LabelOutcome.NO_VERSION, 0, 0.0, 5000));
      for (int w = 1; w < 4; w++) {
        send(h, error("v1", w, 0.4, 200));
      }
      assertThat(h.extractOutputValues()).hasSize(1);
      assertThat(h.extractOutputValues().get(0).getServingVersion()).isEqualTo("v1");
    }
  }

  @Test
  void aLateReportOfAnEarlierWindowDoesNotRaiseARequestEndingBeforeItStarts() throws Exception {
    try (var h = trigger()) {
      send(h, error("v1", 5, 0.4, 100));
      send(h, error("v1", 6, 0.4, 100)); // 2 breaching windows, 200 of 300 labels
      late(h, error("v1", 2, 0.4, 150)); // labels enough, but ends at 3000
      assertThat(h.extractOutputValues()).isEmpty();
      send(h, error("v1", 7, 0.4, 100));
      assertThat(h.extractOutputValues()).hasSize(1);
      assertThat(h.extractOutputValues().get(0).getWindowStart()).isEqualTo(5 * W);
      assertThat(h.extractOutputValues().get(0).getWindowEnd()).isEqualTo(8 * W);
    }
  }
}
