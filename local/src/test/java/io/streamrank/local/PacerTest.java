package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PacerTest {
  @Test
  void aSendNeverGoesOutBeforeItIsDue() {
    Pacer pacer = new Pacer(20_000);
    for (int i = 0; i < 2_000; i++) {
      long due = pacer.awaitDue(i);
      assertThat(System.nanoTime()).as("send %d", i).isGreaterThanOrEqualTo(due);
    }
    assertThat(pacer.offset(1_000)).isEqualTo(50_000_000L);
  }

  @Test
  void itSleepsInTicksNotOncePerEventGap() {
    // 10,000 sends at 100,000/s: 0.1 s of schedule, an event gap of 10 us. One sleep per gap
    // would be thousands of sleeps; ticks of at least 1 ms are about a hundred.
    Pacer pacer = new Pacer(100_000);
    long start = System.nanoTime();
    for (int i = 0; i < 10_000; i++) {
      pacer.awaitDue(i);
    }
    long elapsed = System.nanoTime() - start;
    assertThat(elapsed).isGreaterThanOrEqualTo(pacer.offset(9_999));
    assertThat(pacer.sleeps()).isBetween(1L, 200L);
  }

  @Test
  void aRateThatIsNotPositiveIsRefusedWithTheValue() {
    assertThatThrownBy(() -> new Pacer(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0.0");
    assertThatThrownBy(() -> new Pacer(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
  }
}
