package io.streamrank.streaming.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LabelSampleTest {
  static final long HOUR_MS = 3_600_000;

  @Test
  void aReplaySpreadOverDaysIsHeldWhole() {
    // MovieLens 100k: 100,000 ratings over seven months, about one per 3 minutes of event time.
    LabelSample sample = new LabelSample(100_000, HOUR_MS);
    for (int i = 0; i < 20_000; i++) {
      assertThat(sample.holdPrediction("e" + i, i * 180_000L)).isTrue();
    }
    assertThat(sample.fraction()).isEqualTo(1.0);
  }

  @Test
  void aFastStreamIsSampledSoThatRateTimesTimeoutFitsTheCapacity() {
    // 15 predictions per ms for an hour would be 54 million waiting.
    LabelSample sample = new LabelSample(100_000, HOUR_MS);
    int n = 10 * LabelSample.BLOCK;
    long held = 0;
    for (int i = 0; i < n; i++) {
      if (sample.holdPrediction("r40000-" + i, 1_000_000 + i / 15) && i >= LabelSample.BLOCK) {
        held++;
      }
    }
    double expected = 100_000.0 / (15.0 * HOUR_MS);
    // The block's span is (4096 - 1) / 15 ms, rounded down: the measured rate is a little high.
    assertThat(sample.fraction()).isCloseTo(expected, within(expected * 0.01));
    // 36,864 draws at 0.19%: 68 expected, standard deviation 8.
    assertThat(held).isBetween(40L, 100L);
    // Which ids: the same answer every time, for the prediction and its rating.
    assertThat(
            IntStream.range(0, 1000)
                .allMatch(i -> sample.contains("r40000-" + i) == sample.contains("r40000-" + i)))
        .isTrue();
  }

  @Test
  void idsAreSpreadEvenlyOverTheUnitInterval() {
    int n = 200_000;
    int[] deciles = new int[10];
    for (int i = 0; i < n; i++) {
      double u = LabelSample.unit("r40000-" + i);
      assertThat(u).isGreaterThanOrEqualTo(0).isLessThan(1);
      deciles[(int) (u * 10)]++;
    }
    for (int d : deciles) {
      assertThat(d).isBetween(n / 10 - 600, n / 10 + 600);
    }
  }

  @Test
  void aCapacityOfZeroIsRefusedByName() {
    assertThatThrownBy(() -> new LabelSample(0, HOUR_MS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label capacity");
  }
}
