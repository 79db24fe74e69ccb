package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PacerTest {
  @Test
  void aSendNeverGoesOutBeforeItIsDue() {
    long before = System.nanoTime();
    Pacer pacer = new Pacer(20_000);
    for (int i = 0; i < 2_000; i++) {
      long offset = pacer.awaitDue(i);
      // 20,000 a second: send i is due i * 50 us after the start, which is after `before`.
      assertThat(offset).isEqualTo(i * 50_000L);
      assertThat(System.nanoTime() - before).as("send %d", i).isGreaterThanOrEqualTo(offset);
    }
  }

  @Test
  void itSleepsInTicksNotOncePerEventGap() {
    // 10,000 sends at 100,000/s: 0.1 s of schedule, an event gap of 10 us. One sleep per gap
    // would be thousands of sleeps; ticks of at least 1 ms are about a hundred.
    long start = System.nanoTime(); // before the schedule's start, so elapsed >= its length
    Pacer pacer = new Pacer(100_000);
    for (int i = 0; i < 10_000; i++) {
      pacer.awaitDue(i);
    }
    long elapsed = System.nanoTime() - start;
    assertThat(elapsed).isGreaterThanOrEqualTo(99_990_000L);
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
