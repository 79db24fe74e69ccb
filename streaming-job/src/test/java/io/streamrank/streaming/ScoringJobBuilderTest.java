package io.streamrank.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamrank.streaming.monitor.MonitorSettings;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** The job builder and the monitor options fail with sentences naming what is wrong. */
class ScoringJobBuilderTest {
  @Test
  void buildNamesEverythingMissing() {
    assertThatThrownBy(() -> ScoringJob.builder().model(TestModels.provider()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("events source")
        .hasMessageContaining("ratings source")
        .hasMessageContaining("retrain-requests sink")
        .hasMessageContaining("model-decisions sink")
        .hasMessageContaining("model-decisions source")
        .hasMessageContaining("monitor settings")
        .hasMessageNotContaining("model provider");
  }

  @Test
  void monitorDefaultsAreTheDocumentedOnes() {
    MonitorSettings s = ScoringOptions.monitorSettings(new Configuration());
    assertThat(s.window()).isEqualTo(Duration.ofHours(1));
    assertThat(s.labelTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(s.policy().rmseIncrease()).isEqualTo(0.15);
    assertThat(s.policy().predictionPsi()).isEqualTo(0.25);
    assertThat(s.policy().windows()).isEqualTo(3);
    assertThat(s.policy().minNewLabels()).isEqualTo(2000);
    assertThat(s.policy().cooldownMs()).isEqualTo(Duration.ofHours(24).toMillis());
  }

  @Test
  void aBadMonitorSettingIsNamed() {
    Configuration conf = new Configuration();
    conf.set(ScoringOptions.TRIGGER_WINDOWS, 0);
    assertThatThrownBy(() -> ScoringOptions.monitorSettings(conf))
        .hasMessageContaining("streamrank.trigger.windows must be >= 1, got 0");
    Configuration zero = new Configuration();
    zero.set(ScoringOptions.MONITOR_WINDOW, Duration.ZERO);
    assertThatThrownBy(() -> ScoringOptions.monitorSettings(zero))
        .hasMessageContaining("streamrank.monitor.window must be positive");
  }
}
