package io.streamrank.streaming.monitor;

import static io.streamrank.streaming.monitor.MonitorFixtures.prediction;
import static io.streamrank.streaming.monitor.MonitorFixtures.rating;
import static io.streamrank.streaming.monitor.MonitorFixtures.reference;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import io.streamrank.schemas.RatingEvent;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** Harness tests of the prediction-rating join and the error monitor behind it. */
class PrequentialJoinTest {
  static final long TIMEOUT = 100;

  static KeyedTwoInputStreamOperatorTestHarness<String, LabelRequest, RatingEvent, LabelOutcome>
      join() throws Exception {
    var h =
        ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(
            new PrequentialJoin(TIMEOUT, Duration.ofDays(1)),
            LabelRequest::getEventId,
            RatingEvent::getEventId,
            Types.STRING);
    h.open();
    return h;
  }

  /** The error monitor over 1 s windows, against a reference with RMSE 1 and every rating 4. */
  static KeyedOneInputStreamOperatorTestHarness<String, LabelOutcome, MonitorReport> errorMonitor()
      throws Exception {
    var h =
        ProcessFunctionTestHarnesses.forKeyedProcessFunction(
            new WindowedMonitor<>(new PrequentialError(), 1000, v -> reference(1.0)),
            LabelOutcome::getModelVersion,
            Types.STRING);
    h.open();
    return h;
  }

  static LabelRequest request(String id, String version, long eventTime, float score) {
    return LabelRequest.of(prediction(id, version, eventTime, score));
  }

  @Test
  void pairsMatchInEitherOrderAndUnmatchedOnesExpireAndAreCounted() throws Exception {
    try (var h = join()) {
      h.processElement1(request("a", "v1", 10, 3.5f), 10);
      h.processElement2(rating("a", 12, 4f), 12);
      h.processElement2(rating("b", 20, 2f), 20);
      h.processElement1(request("b", "v1", 20, 3f), 20);
      h.processElement1(request("never-rated", "v1", 30, 3f), 30);
      h.processElement2(rating("never-scored", 40, 5f), 40);
      assertThat(h.extractOutputValues())
          .containsExactly(
              LabelOutcome.matched("v1", 12, 3.5f, 4f), LabelOutcome.matched("v1", 20, 3f, 2f));
      assertThat(h.numKeyedStateEntries()).isEqualTo(2);
      assertThat(h.numEventTimeTimers()).isEqualTo(2);

      h.processBothWatermarks(new Watermark(30 + TIMEOUT));
      h.processBothWatermarks(new Watermark(40 + TIMEOUT));
      assertThat(h.extractOutputValues())
          .containsExactly(
              LabelOutcome.matched("v1", 12, 3.5f, 4f),
              LabelOutcome.matched("v1", 20, 3f, 2f),
              LabelOutcome.unlabelled("v1", 30 + TIMEOUT, 3f),
              LabelOutcome.unmatchedRating(40 + TIMEOUT, 5f));
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }

  /**
   * A waiting prediction keeps what an outcome needs, its shadow score included, through a
   * checkpoint and restore.
   */
  @Test
  void aWaitingPredictionSurvivesARestoreWithItsShadowScore() throws Exception {
    Prediction shadowed = prediction("a", "v1", 10, 3.5f);
    shadowed.setShadowVersion("v2");
    shadowed.setShadowScore(3.75f);
    org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot;
    try (var h = keyed(new PrequentialJoin(TIMEOUT, Duration.ofDays(1)))) {
      h.open();
      h.processElement1(LabelRequest.of(shadowed), 10);
      snapshot = h.snapshot(1, 10);
    }
    try (var restored = keyed(new PrequentialJoin(TIMEOUT, Duration.ofDays(1)))) {
      restored.initializeState(snapshot);
      restored.open();
      restored.processElement2(rating("a", 12, 4f), 12);
      assertThat(restored.extractOutputValues())
          .containsExactly(LabelOutcome.matched("v1", 12, 3.5f, 4f).withShadow("v2", 3.75f));
      assertThat(restored.numKeyedStateEntries()).isZero();
      assertThat(restored.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void withStalledWatermarksTheTtlDropsWaitingStateFromCheckpointsAndReads() throws Exception {
    var join = new PrequentialJoin(TIMEOUT, Duration.ofSeconds(60));
    org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot;
    try (var h = keyed(join)) {
      h.open();
      h.setStateTtlProcessingTime(0);
      h.processElement1(request("stalled", "v1", 10, 3f), 10);
      h.processElement2(rating("late-rated", 20, 4f), 20);
      h.setStateTtlProcessingTime(61_000);
      h.processElement1(request("fresh", "v1", 30, 3f), 30);
      // No watermark ever came, so no timer fired. An expired rating is never read back (no match
      // with a prediction that comes after it; the read removes it); the stalled prediction, never
      // read again, stays in memory until a snapshot.
      h.processElement1(request("late-rated", "v1", 20, 3f), 20);
      assertThat(h.extractOutputValues()).isEmpty();
      assertThat(h.numKeyedStateEntries()).isEqualTo(3);
      snapshot = h.snapshot(1, 61_000);
    }
    try (var restored = keyed(new PrequentialJoin(TIMEOUT, Duration.ofSeconds(60)))) {
      restored.setStateTtlProcessingTime(61_000);
      restored.initializeState(snapshot);
      restored.open();
      // Only the two entries written after the expiry survive the checkpoint.
      assertThat(restored.numKeyedStateEntries()).isEqualTo(2);
    }
  }

  private static KeyedTwoInputStreamOperatorTestHarness<
          String, LabelRequest, RatingEvent, LabelOutcome>
      keyed(PrequentialJoin join) throws Exception {
    return new KeyedTwoInputStreamOperatorTestHarness<>(
        new org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator<>(join),
        LabelRequest::getEventId,
        RatingEvent::getEventId,
        Types.STRING);
  }

  @Test
  void stateStaysFlatOverALongStreamOfUnmatchedRatings() throws Exception {
    try (var h = join()) {
      int most = 0;
      // 20,000 ratings 10 ms apart that never meet a prediction, watermark just behind them.
      for (int i = 0; i < 20_000; i++) {
        long t = i * 10L;
        h.processElement2(rating("r" + i, t, 3f), t);
        if (i % 50 == 0) {
          h.processBothWatermarks(new Watermark(t - 1));
          most = Math.max(most, h.numKeyedStateEntries());
        }
        if (i % 1000 == 0) {
          h.processElement1(request("p" + i, "v1", t, 3f), t);
        }
      }
      // At most the timeout plus one watermark step of records wait: (100 + 500) / 10 + the odd
      // prediction.
      assertThat(most).isLessThanOrEqualTo(62);
      h.processBothWatermarks(new Watermark(Long.MAX_VALUE));
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
      List<LabelOutcome> out = h.extractOutputValues();
      assertThat(out.stream().filter(o -> o.kind == LabelOutcome.Kind.UNMATCHED_RATING))
          .hasSize(20_000);
      assertThat(out.stream().filter(o -> o.kind == LabelOutcome.Kind.UNLABELLED)).hasSize(20);
    }
  }

  @Test
  void aboveItsCapacityOnlyASampleReachesTheJoinAndTheOthersRatingsGoStraightOn() throws Exception {
    // One prediction per ms of event time with a 100 ms timeout would keep 100 waiting; a
    // capacity of 10 holds a tenth of them once the first block has measured the rate.
    int n = 3 * LabelSample.BLOCK;
    List<LabelRequest> sent;
    try (var requests =
        ProcessFunctionTestHarnesses.forProcessFunction(new LabelRequests(10, TIMEOUT))) {
      for (int i = 0; i < n; i++) {
        requests.processElement(prediction("e" + i, "v1", i, 3f), i);
      }
      sent = requests.extractOutputValues();
    }
    int sampled = sent.size() - LabelSample.BLOCK;
    assertThat(sampled)
        .isBetween(2 * LabelSample.BLOCK / 10 - 120, 2 * LabelSample.BLOCK / 10 + 120);
    assertThat(sent.get(sent.size() - 1).sampledFraction).isCloseTo(0.1f, within(0.001f));
    try (var h = join()) {
      for (LabelRequest r : sent) {
        h.processElement1(r, r.eventTime);
      }
      assertThat(h.numKeyedStateEntries()).isEqualTo(sent.size());
      for (int i = 0; i < n; i++) {
        h.processElement2(rating("e" + i, i + 1, 4f), i + 1);
      }
      List<LabelOutcome> out = h.extractOutputValues();
      assertThat(out.stream().filter(o -> o.kind == LabelOutcome.Kind.MATCHED))
          .hasSize(sent.size());
      assertThat(out.stream().filter(o -> o.kind == LabelOutcome.Kind.UNSAMPLED_RATING))
          .hasSize(n - sent.size())
          .allMatch(o -> o.rating == 4f && o.modelVersion.equals(LabelOutcome.NO_VERSION));
      // Every rating met its prediction or went on: nothing waits for a partner not kept.
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void unsampledRatingsCountInTheRatingDistributionAndOnTheirOwn() throws Exception {
    try (var h = errorMonitor()) {
      h.processElement(LabelOutcome.unsampledRating(100, 1f), 100);
      h.processElement(LabelOutcome.unsampledRating(101, 1f), 101);
      h.processElement(LabelOutcome.unmatchedRating(102, 4f), 102);
      h.processWatermark(999);
      MonitorReport r = h.extractOutputValues().get(0);
      assertThat(r.getMetrics().get("unsampled_ratings")).isEqualTo(2.0);
      assertThat(r.getMetrics().get("unmatched_ratings")).isEqualTo(1.0);
      assertThat(r.getMetrics().get("labelled")).isZero();
      // The reference puts every rating at 4: only the unsampled 1s can move the distribution.
      assertThat(r.getMetrics().get("rating_psi")).isGreaterThan(1.0);
    }
  }

  @Test
  void errorMonitorReportsTheKnownRmseAndMae() throws Exception {
    try (var h = errorMonitor()) {
      // Errors +1, -1, +2, -2: RMSE sqrt(10 / 4) = 1.5811, MAE 1.5, bias 0; every rating 4.
      float[] scores = {5, 3, 6, 2};
      for (int i = 0; i < scores.length; i++) {
        h.processElement(LabelOutcome.matched("v1", 100 + i, scores[i], 4f), 100 + i);
      }
      h.processElement(LabelOutcome.unlabelled("v1", 200, 3f), 200);
      h.processWatermark(999);
      MonitorReport r = h.extractOutputValues().get(0);
      assertThat(r.getKind()).isEqualTo("error");
      assertThat(r.getMetrics().get("labelled")).isEqualTo(4.0);
      assertThat(r.getMetrics().get("rmse")).isCloseTo(Math.sqrt(2.5), within(1e-9));
      assertThat(r.getMetrics().get("mae")).isCloseTo(1.5, within(1e-9));
      assertThat(r.getMetrics().get("bias")).isCloseTo(0, within(1e-9));
      assertThat(r.getMetrics().get("rmse_increase")).isCloseTo(Math.sqrt(2.5) - 1, within(1e-9));
      assertThat(r.getMetrics().get("unlabelled")).isEqualTo(1.0);
      assertThat(r.getMetrics().get("rating_psi")).isCloseTo(0, within(1e-9));
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }
}
