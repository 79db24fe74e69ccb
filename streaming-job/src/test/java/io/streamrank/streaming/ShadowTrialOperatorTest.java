package io.streamrank.streaming;

import static io.streamrank.streaming.BatchScoringOperatorTest.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import io.streamrank.streaming.monitor.ShadowEvaluator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Harness tests of shadow trials in the scoring operator: the candidate scores beside the serving
 * version without serving, a promote record swaps it in between batches, a drop record ends the
 * trial, and a restored operator resumes the trial.
 */
class ShadowTrialOperatorTest {
  private static TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction> harness(
      OperatorSubtaskState restore) throws Exception {
    var h =
        new TwoInputStreamOperatorTestHarness<>(
            new BatchScoringOperator(TestModels.provider(), 2, 50, 0.0));
    h.setProcessingTime(0);
    if (restore != null) {
      h.initializeState(restore);
    }
    h.open();
    return h;
  }

  static ModelUpdate shadow(String version, long createdAt) {
    return ModelUpdate.newBuilder(TestModels.announce(version, createdAt, "ok"))
        .setShadow(true)
        .build();
  }

  static ModelUpdate decision(String version, long createdAt, String decision) {
    return ModelUpdate.newBuilder(TestModels.announce(version, createdAt, "ok"))
        .setDecision(decision)
        .build();
  }

  private static BatchScoringOperator op(
      TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction> h) {
    return (BatchScoringOperator) h.getOperator();
  }

  private static void awaitLoad(
      TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction> h)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    long t = h.getProcessingTime();
    while (op(h).isLoading()) {
      assertThat(System.nanoTime()).as("load did not finish").isLessThan(deadline);
      Thread.sleep(5);
      t += 20;
      h.setProcessingTime(t);
    }
  }

  private static List<String> summary(List<Prediction> ps) {
    List<String> out = new ArrayList<>();
    for (Prediction p : ps) {
      out.add(
          p.getEventId()
              + " "
              + p.getModelVersion()
              + " "
              + p.getScore()
              + (p.getShadowVersion() == null
                  ? ""
                  : " shadow " + p.getShadowVersion() + " " + p.getShadowScore()));
    }
    return out;
  }

  private static List<MonitorReport> reports(
      TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction> h) {
    List<MonitorReport> out = new ArrayList<>();
    var side = h.getSideOutput(BatchScoringOperator.MONITORING);
    if (side != null) {
      side.forEach(r -> out.add(r.getValue()));
    }
    return out;
  }

  @AfterEach
  void everyModelClosed() {
    assertThat(TestModels.OPEN.get()).as("models left open").isZero();
  }

  @Test
  void candidateScoresBesideTheServingVersionWhichKeepsServing() throws Exception {
    try (var h = harness(null)) {
      h.processElement2(new StreamRecord<>(shadow("v5", 5)));
      awaitLoad(h);
      assertThat(op(h).shadowVersion()).isEqualTo("v5");
      assertThat(op(h).servingVersion()).isEqualTo("v0");
      h.processElement1(new StreamRecord<>(event(1)));
      h.processElement1(new StreamRecord<>(event(2)));
      assertThat(summary(h.extractOutputValues()))
          .containsExactly("e1 v0 1.101 shadow v5 6.101", "e2 v0 2.102 shadow v5 7.102");
      // A second copy of the trial's announcement neither reloads nor restarts it.
      h.processElement2(new StreamRecord<>(shadow("v5", 5)));
      assertThat(op(h).isLoading()).isFalse();
      assertThat(reports(h)).isEmpty();
    }
  }

  @Test
  void promotionSwapsBetweenBatchesAndDropEndsTheTrial() throws Exception {
    try (var h = harness(null)) {
      h.processElement2(new StreamRecord<>(shadow("v5", 5)));
      awaitLoad(h);
      h.processElement1(new StreamRecord<>(event(1)));
      h.processElement2(new StreamRecord<>(decision("v5", 5, ShadowEvaluator.PROMOTE)));
      h.processElement1(new StreamRecord<>(event(2)));
      h.processElement1(new StreamRecord<>(event(3)));
      assertThat(summary(h.extractOutputValues()))
          .containsExactly("e1 v0 1.101 shadow v5 6.101", "e2 v5 7.102", "e3 v5 8.103");
      assertThat(op(h).shadowVersion()).isNull();
      assertThat(reports(h))
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.getKind()).isEqualTo("swap");
                assertThat(r.getModelVersion()).isEqualTo("v5");
                assertThat(r.getMessage()).isEqualTo("promoted from shadow, replaced v0");
              });

      h.processElement2(new StreamRecord<>(shadow("v7", 7)));
      awaitLoad(h);
      h.processElement1(new StreamRecord<>(event(4)));
      h.processElement2(new StreamRecord<>(decision("v7", 7, ShadowEvaluator.DROP)));
      h.processElement1(new StreamRecord<>(event(5)));
      h.processElement1(new StreamRecord<>(event(6)));
      assertThat(summary(h.extractOutputValues()))
          .endsWith("e4 v5 9.104 shadow v7 11.104", "e5 v5 10.105", "e6 v5 11.106");
      assertThat(op(h).servingVersion()).isEqualTo("v5");
      assertThat(op(h).shadowVersion()).isNull();
    }
  }

  @Test
  void aRejectedCandidateNeverStartsATrial() throws Exception {
    try (var h = harness(null)) {
      h.processElement2(
          new StreamRecord<>(
              ModelUpdate.newBuilder(TestModels.announce("v3", 3, "reject/bad checksum"))
                  .setShadow(true)
                  .build()));
      awaitLoad(h);
      assertThat(op(h).shadowVersion()).isNull();
      assertThat(reports(h))
          .extracting(MonitorReport::getKind, MonitorReport::getMessage)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("rejection", "bad checksum"));
    }
  }

  @Test
  void aRestoredOperatorResumesTheTrialAndCanPromoteIt() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness(null)) {
      h.processElement2(new StreamRecord<>(shadow("v5", 5)));
      awaitLoad(h);
      snapshot = h.snapshot(1L, 1L);
    }
    try (var restored = harness(snapshot)) {
      assertThat(op(restored).servingVersion()).isEqualTo("v0");
      assertThat(op(restored).shadowVersion()).isEqualTo("v5");
      restored.processElement1(new StreamRecord<>(event(1)));
      restored.processElement2(new StreamRecord<>(decision("v5", 5, ShadowEvaluator.PROMOTE)));
      restored.processElement1(new StreamRecord<>(event(2)));
      restored.processElement1(new StreamRecord<>(event(3)));
      assertThat(summary(restored.extractOutputValues()))
          .containsExactly("e1 v0 1.101 shadow v5 6.101", "e2 v5 7.102", "e3 v5 8.103");
      snapshot = restored.snapshot(2L, 2L);
    }
    try (var again = harness(snapshot)) {
      assertThat(op(again).servingVersion()).isEqualTo("v5");
      assertThat(op(again).shadowVersion()).isNull();
    }
  }

  @Test
  void aPromotionOfAVersionNotOnTrialHereIsLoadedThroughTheGates() throws Exception {
    // A fresh start that finds only the compacted decision on model-decisions.
    try (var h = harness(null)) {
      h.processElement2(new StreamRecord<>(decision("v4", 4, ShadowEvaluator.PROMOTE)));
      awaitLoad(h);
      assertThat(op(h).servingVersion()).isEqualTo("v4");
      h.processElement2(new StreamRecord<>(decision("v6", 6, ShadowEvaluator.DROP)));
      assertThat(op(h).isLoading()).isFalse();
      assertThat(op(h).servingVersion()).isEqualTo("v4");
    }
  }

  @Test
  void aPromotionBeforeItsAnnouncementServesTheVersionWithoutATrial() throws Exception {
    // Decisions and announcements come from two topics, in no order with each other.
    try (var h = harness(null)) {
      h.processElement2(new StreamRecord<>(decision("v5", 5, ShadowEvaluator.PROMOTE)));
      assertThat(op(h).isLoading()).isTrue();
      h.processElement2(new StreamRecord<>(shadow("v5", 5)));
      awaitLoad(h);
      assertThat(op(h).servingVersion()).isEqualTo("v5");
      assertThat(op(h).shadowVersion()).isNull();
      h.processElement2(new StreamRecord<>(shadow("v5", 5)));
      assertThat(op(h).isLoading()).isFalse();
      h.processElement1(new StreamRecord<>(event(1)));
      h.processElement1(new StreamRecord<>(event(2)));
      assertThat(summary(h.extractOutputValues())).containsExactly("e1 v5 6.101", "e2 v5 7.102");
      assertThat(reports(h)).extracting(MonitorReport::getKind).containsExactly("swap");
    }
  }

  @Test
  void aDropBeforeItsAnnouncementIsIgnored() throws Exception {
    try (var h = harness(null)) {
      h.processElement2(new StreamRecord<>(decision("v5", 5, ShadowEvaluator.DROP)));
      assertThat(op(h).isLoading()).isFalse();
      h.processElement1(new StreamRecord<>(event(1)));
      h.processElement1(new StreamRecord<>(event(2)));
      assertThat(summary(h.extractOutputValues())).containsExactly("e1 v0 1.101", "e2 v0 2.102");
      assertThat(op(h).servingVersion()).isEqualTo("v0");
      assertThat(op(h).shadowVersion()).isNull();
      assertThat(reports(h)).isEmpty();
    }
  }
}
