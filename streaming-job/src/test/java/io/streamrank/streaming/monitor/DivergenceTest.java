package io.streamrank.streaming.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DivergenceTest {
  @Test
  void psiOfAKnownShift() {
    // (0.8 - 0.5) ln(0.8 / 0.5) + (0.2 - 0.5) ln(0.2 / 0.5) = 0.14100 + 0.27489
    assertThat(Divergence.psi(new double[] {0.5, 0.5}, new double[] {80, 20}))
        .isCloseTo(0.41589, within(1e-4));
  }

  @Test
  void identicalDistributionsHaveZeroDivergence() {
    double[] ref = {0.1, 0.2, 0.3, 0.4, 0};
    double[] counts = {10, 20, 30, 40, 0};
    assertThat(Divergence.psi(ref, counts)).isCloseTo(0, within(1e-12));
    assertThat(Divergence.jensenShannon(ref, counts)).isCloseTo(0, within(1e-12));
  }

  @Test
  void jensenShannonOfDisjointDistributionsIsAboutOneBit() {
    assertThat(Divergence.jensenShannon(new double[] {1, 0}, new double[] {0, 7}))
        .isCloseTo(1.0, within(0.01))
        .isLessThanOrEqualTo(1.0);
  }

  @Test
  void anUnseenBinRaisesPsiBoundedly() {
    double psi = Divergence.psi(new double[] {1, 0}, new double[] {99, 1});
    assertThat(psi).isFinite().isGreaterThan(0.01).isLessThan(0.2);
  }

  @Test
  void noLiveCountsIsNaNAndMismatchedBinsFail() {
    assertThat(Divergence.psi(new double[] {1}, new double[] {0})).isNaN();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Divergence.psi(new double[] {1, 0}, new double[] {1}))
        .hasMessageContaining("2 bins");
  }

  @Test
  void latencyBucketsAreExactBelow100MsAndWithinFivePercentAbove() {
    for (long ms : new long[] {0, 1, 57, 99}) {
      assertThat(LatencyBuckets.value(LatencyBuckets.bucket(ms))).isEqualTo(ms);
    }
    for (long ms : new long[] {100, 1234, 86_400_000L, 7_000_000_000L}) {
      assertThat(LatencyBuckets.value(LatencyBuckets.bucket(ms)) / ms).isBetween(0.95, 1.05);
    }
    assertThat(LatencyBuckets.bucket(-5)).isZero();
    assertThat(LatencyBuckets.bucket(Long.MAX_VALUE)).isEqualTo(LatencyBuckets.COUNT - 1);
  }
}
