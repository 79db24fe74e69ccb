package io.streamrank.retrain;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.model.ModelConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Resuming a configuration's training from its previous trial, without Flink. */
class TrialRunnerTest {
  private static final String RUN = "trial-runner-test/";
  private static final DataSpec.Loaded DATA = TunerTest.DATA.load();
  private static final ModelConfig BASE = TunerTest.BASE.toBuilder().patience(100).build();
  private static final Map<String, Object> POINT = Map.of(SearchSpace.LEARNING_RATE, 0.003);

  @AfterEach
  void release() {
    PausedTrials.release(RUN);
  }

  @Test
  void aPromotedTrialContinuesItsRungsCurveWithoutRepeatingAnEpoch() {
    TrialResult rung0 = TrialRunner.run(new TrialSpec("a-r0", POINT, 1, RUN + "a"), DATA, BASE, 1);
    assertThat(PausedTrials.parked(RUN)).isEqualTo(1);
    TrialResult rung1 = TrialRunner.run(new TrialSpec("a-r1", POINT, 3, RUN + "a"), DATA, BASE, 1);
    TrialResult scratch = TrialRunner.run(new TrialSpec("b", POINT, 3), DATA, BASE, 1);

    assertThat(rung0.curve()).hasSize(1);
    assertThat(rung0.resumedEpochs()).isZero();
    assertThat(rung1.resumedEpochs()).isEqualTo(1);
    assertThat(rung1.epochsTrained()).isEqualTo(2);
    assertThat(rung1.curve()).hasSize(3).startsWith(rung0.curve().get(0));
    // Resuming is training on, not training again: the curve is the one of an unbroken run.
    assertThat(rung1.curve()).containsExactlyElementsOf(scratch.curve());
    assertThat(rung1.bestValidRmse()).isEqualTo(scratch.bestValidRmse());
    assertThat(rung1.bestEpoch()).isEqualTo(scratch.bestEpoch());
    assertThat(scratch.resumedEpochs()).isZero();
    assertThat(PausedTrials.parked(RUN)).as("the promoted trial parked its training again").isOne();
  }

  @Test
  void aTrialThatStoppedEarlyIsNotParkedAndReleaseForgetsTheRest() {
    ModelConfig impatient = BASE.toBuilder().patience(1).build();
    Map<String, Object> fast = Map.of(SearchSpace.LEARNING_RATE, 0.05);
    TrialResult r = TrialRunner.run(new TrialSpec("s-r0", fast, 60, RUN + "s"), DATA, impatient, 1);
    assertThat(r.stopped()).isTrue();
    assertThat(r.curve().size()).isLessThan(60);
    assertThat(PausedTrials.parked(RUN)).isZero();

    TrialRunner.run(new TrialSpec("c-r0", POINT, 1, RUN + "c"), DATA, BASE, 1);
    assertThat(PausedTrials.parked(RUN)).isOne();
    PausedTrials.release(RUN);
    assertThat(PausedTrials.parked(RUN)).isZero();
    TrialResult fresh = TrialRunner.run(new TrialSpec("c-r1", POINT, 2, RUN + "c"), DATA, BASE, 1);
    assertThat(fresh.resumedEpochs()).as("nothing left to resume after a release").isZero();
  }

  @Test
  void aTrialPastItsBestIsNotParked() {
    // Patience 100: early stopping never ends it, but at this rate it overfits within 8 epochs.
    Map<String, Object> fast = Map.of(SearchSpace.LEARNING_RATE, 0.05);
    TrialResult r = TrialRunner.run(new TrialSpec("p-r0", fast, 8, RUN + "p"), DATA, BASE, 1);
    assertThat(r.stopped()).isFalse();
    assertThat(r.curve()).hasSize(8);
    assertThat(r.pastItsBest()).isTrue();
    assertThat(PausedTrials.parked(RUN)).isZero();
  }

  @Test
  void aResultIsPastItsBestAfterTwoWorseEpochsOrWhenEarlyStoppingEndedIt() {
    assertThat(result(List.of(0.96, 0.97, 0.975), 1, false).pastItsBest()).isTrue();
    assertThat(result(List.of(0.97, 0.96, 0.965), 2, false).pastItsBest()).isFalse();
    assertThat(result(List.of(0.97, 0.96), 2, false).pastItsBest()).isFalse();
    assertThat(result(List.of(0.96), 1, false).pastItsBest()).isFalse();
    assertThat(result(List.of(0.96), 1, true).pastItsBest()).isTrue();
  }

  private static TrialResult result(List<Double> curve, int bestEpoch, boolean stopped) {
    return new TrialResult(
        "t",
        POINT,
        curve.size(),
        curve,
        curve.get(bestEpoch - 1),
        bestEpoch,
        "completed",
        1,
        0,
        0,
        0,
        stopped,
        null);
  }
}
