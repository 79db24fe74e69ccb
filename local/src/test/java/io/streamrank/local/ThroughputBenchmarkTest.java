package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Smoke test of {@code ./streamrank bench}: checks the harness end to end, not speed. */
class ThroughputBenchmarkTest {
  @Test
  @SuppressWarnings("unchecked")
  void everyVariantRunsAndTheReportCarriesConditionsRatesAndRatios() throws Exception {
    Map<String, Object> report =
        new ThroughputBenchmark(new PrintStream(PrintStream.nullOutputStream()))
            .run(
                new ThroughputBenchmark.Settings(
                    new int[] {500},
                    1,
                    1,
                    64,
                    5,
                    Duration.ofSeconds(30),
                    1,
                    10,
                    // Features first: its throwaway pass and its ramp share one published model.
                    List.of(
                        "features",
                        "scoring",
                        "identity",
                        "per_event",
                        "naive",
                        "scoring_with_ratings"),
                    1));
    assertThat(report).containsKeys("conditions", "raw_onnx_rows_per_second", "variants", "ratios");
    assertThat((double) report.get("raw_onnx_rows_per_second")).isPositive();
    var variants = (Map<String, List<ThroughputBenchmark.Step>>) report.get("variants");
    assertThat(variants)
        .containsOnlyKeys(
            "scoring", "identity", "per_event", "naive", "scoring_with_ratings", "features");
    assertThat(variants.values())
        .allSatisfy(
            steps -> {
              assertThat(steps).hasSize(1);
              assertThat(steps.get(0).received()).isEqualTo(500);
              assertThat(steps.get(0).p99()).isGreaterThanOrEqualTo(steps.get(0).p50());
              assertThat(steps.get(0).cpuMicrosPerEvent()).isPositive();
            });
  }

  @Test
  void anUnknownVariantIsNamed() {
    assertThatThrownBy(
            () ->
                new ThroughputBenchmark.Settings(
                    new int[] {500}, 1, 1, 64, 5, Duration.ofSeconds(1), 0, 10, List.of("fast"), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown bench variant 'fast'")
        .hasMessageContaining("scoring_with_ratings");
  }
}
