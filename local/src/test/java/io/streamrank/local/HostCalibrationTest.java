package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class HostCalibrationTest {
  @Test
  @Timeout(30) // threads that never hand back would hang, not fail
  void twoThreadsTakeTurnsAndTheCallerGetsItsThreadBack() throws Exception {
    long before = Thread.getAllStackTraces().keySet().stream().filter(this::isPong).count();
    double handoffs = HostCalibration.threadHandoffsPerSecond(Duration.ofMillis(50), 4);
    // Even a loaded two-core machine hands over thousands of times a second; zero or NaN would
    // mean the threads never took turns.
    assertThat(handoffs).isGreaterThan(1_000);
    assertThat(Thread.getAllStackTraces().keySet().stream().filter(this::isPong).count())
        .isEqualTo(before);
  }

  @Test
  void noWindowsIsRefused() {
    assertThatThrownBy(() -> HostCalibration.threadHandoffsPerSecond(Duration.ofMillis(10), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }

  private boolean isPong(Thread t) {
    return t.getName().equals("host-calibration-pong") && t.isAlive();
  }
}
