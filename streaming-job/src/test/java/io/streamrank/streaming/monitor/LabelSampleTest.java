package io.streamrank.streaming.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
    // 15 predictions per ms for an hour would be 54 million waiting. A measurement takes at least
    // a second of event time: 15,000 predictions here.
    LabelSample sample = new LabelSample(100_000, HOUR_MS);
    int n = 60_000;
    boolean[] kept = new boolean[n];
    long held = 0;
    for (int i = 0; i < n; i++) {
      kept[i] = sample.holdPrediction("r40000-" + i, 1_000_000 + i / 15);
      if (kept[i] && i >= n / 2) {
        held++;
      }
    }
    double expected = 100_000.0 / (15.0 * HOUR_MS);
    assertThat(sample.fraction()).isCloseTo(expected, within(expected * 0.01));
    // 30,000 draws at 0.19%: 56 expected, standard deviation 7.5.
    assertThat(held).isBetween(30L, 85L);
    // A second sample over the same stream (a replay after a restore) keeps the same predictions:
    // the decision depends on the id and the measured rate, nothing random.
    LabelSample replay = new LabelSample(100_000, HOUR_MS);
    for (int i = 0; i < n; i++) {
      assertThat(replay.holdPrediction("r40000-" + i, 1_000_000 + i / 15)).isEqualTo(kept[i]);
    }
  }

  @Test
  void timestampsRoundedToTheMinuteAreNotReadAsABurst() {
    // 200 predictions a second, each stamped with its minute: 12,000 share every timestamp, so a
    // block of 4,096 alone spans no time at all.
    LabelSample sample = new LabelSample(100_000, HOUR_MS);
    for (int i = 0; i < 60_000; i++) {
      long minute = (i / 200) / 60 * 60_000L;
      sample.holdPrediction("e" + i, minute);
    }
    // 0.2 per ms for an hour is 720,000: a fraction of 100,000 / 720,000 held.
    double expected = 100_000.0 / 720_000.0;
    assertThat(sample.fraction()).isCloseTo(expected, within(expected * 0.01));
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
