package io.streamrank.streaming.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Harness tests of the shadow evaluator: when a trial is promoted, dropped, or times out. */
class ShadowEvaluatorTest {
  static final ShadowSettings SETTINGS = new ShadowSettings(4, Duration.ofSeconds(60), 0.1);

  static KeyedTwoInputStreamOperatorTestHarness<String, LabelOutcome, ModelUpdate, ModelUpdate>
      evaluator(OperatorSubtaskState restore) throws Exception {
    var h =
        new KeyedTwoInputStreamOperatorTestHarness<>(
            new KeyedCoProcessOperator<>(new ShadowEvaluator(SETTINGS)),
            LabelOutcome::getShadowVersion,
            ModelUpdate::getVersion,
            Types.STRING);
    if (restore != null) {
      h.initializeState(restore);
    }
    h.open();
    return h;
  }

  static ModelUpdate trial(String version) {
    return ModelUpdate.newBuilder()
        .setVersion(version)
        .setBundleUri("file:///registry/" + version)
        .setSha256("sha-" + version)
        .setCreatedAt(7)
        .setMetrics(Map.of("valid_rmse", 0.9))
        .setShadow(true)
        .build();
  }

  /** A labelled event: the serving version missed the rating by {@code servedError}. */
  static LabelOutcome labelled(String candidate, float servedError, float candidateError) {
    return LabelOutcome.matched("v1", 100, 3 + servedError, 3)
        .withShadow(candidate, 3 + candidateError);
  }

  static List<MonitorReport> reports(
      KeyedTwoInputStreamOperatorTestHarness<String, LabelOutcome, ModelUpdate, ModelUpdate> h) {
    List<MonitorReport> out = new ArrayList<>();
    var side = h.getSideOutput(ShadowEvaluator.REPORTS);
    if (side != null) {
      side.forEach(r -> out.add(r.getValue()));
    }
    return out;
  }

  @Test
  void aCandidateThatWinsByTheMarginIsPromotedOnceAfterTheConfiguredLabels() throws Exception {
    try (var h = evaluator(null)) {
      h.processElement2(trial("v2"), 0);
      for (int i = 0; i < 3; i++) {
        h.processElement1(labelled("v2", 1f, 0.5f), 100);
      }
      assertThat(h.extractOutputValues()).isEmpty();
      h.processElement1(labelled("v2", 1f, 0.5f), 100);
      assertThat(h.extractOutputValues())
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.getVersion()).isEqualTo("v2");
                assertThat(d.getDecision()).isEqualTo(ShadowEvaluator.PROMOTE);
                assertThat(d.getShadow()).isFalse();
                assertThat(d.getBundleUri()).isEqualTo("file:///registry/v2");
                assertThat(d.getSha256()).isEqualTo("sha-v2");
                assertThat(d.getMetrics())
                    .containsEntry("valid_rmse", 0.9)
                    .containsEntry("shadow_labelled", 4.0);
                assertThat(d.getMetrics().get("shadow_serving_rmse")).isCloseTo(1.0, within(1e-6));
                assertThat(d.getMetrics().get("shadow_candidate_rmse"))
                    .isCloseTo(0.5, within(1e-6));
              });
      assertThat(reports(h))
          .extracting(MonitorReport::getKind)
          .containsExactly("shadow-start", "shadow-promote");
      assertThat(reports(h).get(1).getMessage())
          .startsWith("promoted: RMSE 0.5000 vs serving v1 1.0000 over 4 labelled events");
      // More labels and the decision read back change nothing; nothing is left but the verdict.
      h.processElement1(labelled("v2", 1f, 0.5f), 100);
      h.processElement2(h.extractOutputValues().get(0), 0);
      assertThat(h.extractOutputValues()).hasSize(1);
      assertThat(h.numProcessingTimeTimers()).isZero();
      assertThat(h.numKeyedStateEntries()).isEqualTo(1);
    }
  }

  @Test
  void aCandidateNotBetterByTheMarginIsDroppedWithTheReason() throws Exception {
    try (var h = evaluator(null)) {
      h.processElement2(trial("v3"), 0);
      for (int i = 0; i < 4; i++) {
        h.processElement1(labelled("v3", 1f, 0.95f), 100);
      }
      assertThat(h.extractOutputValues())
          .extracting(ModelUpdate::getDecision)
          .containsExactly(ShadowEvaluator.DROP);
      assertThat(reports(h).get(1).getKind()).isEqualTo("shadow-drop");
      assertThat(reports(h).get(1).getMessage())
          .isEqualTo(
              "dropped: not better than the serving version by the margin; RMSE 0.9500 vs"
                  + " serving v1 1.0000 over 4 labelled events, margin 0.1000");
    }
  }

  @Test
  void labelsBeforeTheAnnouncementCountAndATrialShortOfLabelsTimesOut() throws Exception {
    try (var h = evaluator(null)) {
      // Outcomes may overtake the announcement on their way here.
      for (int i = 0; i < 4; i++) {
        h.processElement1(labelled("early", 1f, 0f), 100);
      }
      assertThat(h.extractOutputValues()).isEmpty();
      h.processElement2(trial("early"), 0);
      assertThat(h.extractOutputValues())
          .extracting(ModelUpdate::getDecision)
          .containsExactly(ShadowEvaluator.PROMOTE);

      h.setProcessingTime(1_000);
      h.processElement2(trial("slow"), 0);
      h.processElement1(labelled("slow", 1f, 0f), 100);
      h.setProcessingTime(60_999);
      assertThat(h.extractOutputValues()).hasSize(1);
      h.setProcessingTime(61_000);
      assertThat(h.extractOutputValues())
          .extracting(ModelUpdate::getVersion, ModelUpdate::getDecision)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("early", ShadowEvaluator.PROMOTE),
              org.assertj.core.groups.Tuple.tuple("slow", ShadowEvaluator.DROP));
      assertThat(reports(h).get(reports(h).size() - 1).getMessage())
          .startsWith("dropped: only 1 of 4 labelled events within PT1M; RMSE 0.0000");
      assertThat(h.numProcessingTimeTimers()).isZero();
    }
  }

  @Test
  void aTrialSurvivesRestoreWithItsLabelsAndDeadline() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = evaluator(null)) {
      h.processElement2(trial("v4"), 0);
      h.processElement1(labelled("v4", 1f, 0f), 100);
      h.processElement1(labelled("v4", 1f, 0f), 100);
      snapshot = h.snapshot(1L, 1L);
    }
    try (var restored = evaluator(snapshot)) {
      assertThat(restored.numProcessingTimeTimers()).isEqualTo(1);
      restored.processElement1(labelled("v4", 1f, 0f), 100);
      restored.processElement1(labelled("v4", 1f, 0f), 100);
      assertThat(restored.extractOutputValues())
          .extracting(ModelUpdate::getDecision)
          .containsExactly(ShadowEvaluator.PROMOTE);
    }
  }

  @Test
  void aDroppedVersionAnnouncedAgainGetsANewTrial() throws Exception {
    try (var h = evaluator(null)) {
      h.processElement2(trial("v5"), 0);
      for (int i = 0; i < 4; i++) {
        h.processElement1(labelled("v5", 1f, 1f), 100);
      }
      h.processElement2(h.extractOutputValues().get(0), 0); // the drop, read back
      h.processElement2(trial("v5"), 0);
      for (int i = 0; i < 4; i++) {
        h.processElement1(labelled("v5", 1f, 0f), 100);
      }
      assertThat(h.extractOutputValues())
          .extracting(ModelUpdate::getDecision)
          .containsExactly(ShadowEvaluator.DROP, ShadowEvaluator.PROMOTE);
    }
  }

  @Test
  void rollbacksAndPlainAnnouncementsStartNoTrial() throws Exception {
    try (var h = evaluator(null)) {
      h.processElement2(ModelUpdate.newBuilder(trial("v5")).setShadow(false).build(), 0);
      h.processElement2(ModelUpdate.newBuilder(trial("v6")).setRollback(true).build(), 0);
      assertThat(reports(h)).isEmpty();
      assertThat(h.numProcessingTimeTimers()).isZero();
    }
  }
}
