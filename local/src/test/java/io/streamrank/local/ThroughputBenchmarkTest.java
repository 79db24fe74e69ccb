package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke test of {@code ./streamrank bench}: checks the harness end to end, not speed. */
class ThroughputBenchmarkTest {
  private static final ThroughputBenchmark.Settings IDENTITY_THEN_SCORING =
      new ThroughputBenchmark.Settings(
          new int[] {1000},
          1,
          1,
          64,
          5,
          Duration.ofSeconds(1),
          0,
          10,
          List.of("identity", "scoring"),
          0,
          Map.of());

  @Test
  @SuppressWarnings("unchecked")
  void everyVariantRunsAndTheReportCarriesConditionsRatesAndRatios(@TempDir Path dir)
      throws Exception {
    Path trace = dir.resolve("trace.csv");
    Map<String, Object> report =
        new ThroughputBenchmark(new PrintStream(PrintStream.nullOutputStream()))
            .traceTo(trace)
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
                        "features_fold_in",
                        "scoring",
                        "identity",
                        "per_event",
                        "naive",
                        "scoring_with_ratings"),
                    1,
                    Map.of("streamrank.scoring.flush-interval", "7ms")));
    assertThat(report).containsKeys("conditions", "raw_onnx_rows_per_second", "variants", "ratios");
    assertThat((double) report.get("raw_onnx_rows_per_second")).isPositive();
    // Batching must beat one row a call inside ONNX Runtime itself; the margin is wide (92-100x
    // measured in session 21), so a loose bound still catches a naive baseline that stopped being
    // naive, even on a loaded machine.
    assertThat((double) report.get("raw_onnx_rows_per_second"))
        .isGreaterThan(2 * (double) report.get("raw_naive_rows_per_second"));
    assertThat((Map<String, Object>) report.get("conditions"))
        .containsEntry("job_settings", Map.of("streamrank.scoring.flush-interval", "7ms"));
    var variants = (Map<String, List<ThroughputBenchmark.Step>>) report.get("variants");
    assertThat(variants.keySet()).containsExactlyInAnyOrderElementsOf(ThroughputBenchmark.VARIANTS);
    assertThat(variants.values())
        .allSatisfy(
            steps -> {
              assertThat(steps).hasSize(1);
              assertThat(steps.get(0).received()).isEqualTo(500);
              assertThat(steps.get(0).p99()).isGreaterThanOrEqualTo(steps.get(0).p50());
              assertThat(steps.get(0).cpuMicrosPerEvent()).isPositive();
              assertThat(steps.get(0).stages().jobP99())
                  .isGreaterThanOrEqualTo(steps.get(0).stages().jobP50());
            });
    // The trace: a header, then each variant's step second by second, every prediction counted
    // once, and no second's p99 above its max.
    List<String> lines = Files.readAllLines(trace);
    assertThat(lines.get(0)).startsWith("variant,offered,second,epoch_ms,predictions,p50_ms");
    Map<String, Long> perVariant = new java.util.TreeMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      perVariant.merge(f[0], Long.parseLong(f[4]), Long::sum);
      assertThat(Long.parseLong(f[6])).as(line).isLessThanOrEqualTo(Long.parseLong(f[7]));
    }
    assertThat(perVariant.keySet())
        .containsExactlyInAnyOrderElementsOf(ThroughputBenchmark.VARIANTS);
    assertThat(perVariant.values()).containsOnly(500L);
  }

  @Test
  @SuppressWarnings("unchecked")
  void eachVariantInItsOwnJvmComesBackInOrderAndFeedsTheRatios(@TempDir Path dir) throws Exception {
    // A stand-in for the child JVM: a shell that writes a one-variant report where --out says.
    Map<String, Double> achieved = Map.of("identity", 900.0, "scoring", 450.0);
    Function<String, List<String>> child =
        variant -> {
          String step =
              "{\"offered\": 1000, \"achieved\": %s, \"sustained\": %s, \"p50\": 3, \"p99\": 9,"
                  + " \"received\": 1000, \"cpuMicrosPerEvent\": 50.0, \"stages\": {\"inP50\": 1,"
                  + " \"inP99\": 2, \"jobP50\": 1, \"jobP99\": 3, \"outP50\": 1, \"outP99\": 4}}";
          String json =
              String.format(
                  "{\"variants\": {\"%s\": [" + step + "]}}",
                  variant,
                  achieved.get(variant),
                  variant.equals("identity"));
          try {
            Path canned = Files.writeString(dir.resolve(variant + ".json"), json);
            return List.of("sh", "-c", "cp '" + canned + "' \"${0#--out=}\"");
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        };
    Map<String, Object> report =
        new ThroughputBenchmark(new PrintStream(PrintStream.nullOutputStream()), child)
            .run(IDENTITY_THEN_SCORING);
    var variants = (Map<String, List<ThroughputBenchmark.Step>>) report.get("variants");
    assertThat(variants.keySet()).containsExactly("identity", "scoring");
    assertThat(variants.get("scoring").get(0).achieved()).isEqualTo(450.0);
    assertThat(variants.get("scoring").get(0).stages().outP99()).isEqualTo(4);
    // identity sustained 1000 ev/s and scoring none: the ratio comes from the children's steps.
    assertThat((Map<String, Object>) report.get("ratios"))
        .containsEntry("scoring_over_identity_rate", 0.0)
        // naive was not run: no ratio of a zero
        .doesNotContainKey("batched_over_naive_rate");
    assertThat((Map<String, Object>) report.get("sustainable_rate"))
        .containsEntry("identity", 1000.0);
    assertThat((Map<String, Object>) report.get("conditions"))
        .containsEntry("jvm_per_variant", true);
  }

  @Test
  @SuppressWarnings("unchecked")
  void aVariantJvmMeasuresItsVariantButNotTheMachine() throws Exception {
    Map<String, Object> report =
        new ThroughputBenchmark(new PrintStream(PrintStream.nullOutputStream()))
            .variantsOnly()
            .run(
                new ThroughputBenchmark.Settings(
                    new int[] {200},
                    1,
                    1,
                    64,
                    5,
                    Duration.ofSeconds(30),
                    0,
                    10,
                    List.of("identity"),
                    0,
                    Map.of()));
    assertThat(report).doesNotContainKeys("raw_onnx_rows_per_second", "raw_naive_rows_per_second");
    assertThat((Map<String, Object>) report.get("conditions"))
        .doesNotContainKey("host_thread_handoffs_per_second");
    var variants = (Map<String, List<ThroughputBenchmark.Step>>) report.get("variants");
    assertThat(variants.get("identity")).singleElement().extracting("received").isEqualTo(200L);
    // One variant and no machine figures: nothing to divide by.
    assertThat((Map<String, Object>) report.get("ratios")).isEmpty();
  }

  @Test
  void aStepIsSustainedOnlyIfItsLagStayedBounded() {
    Duration drain = Duration.ofSeconds(2);
    assertThat(ThroughputBenchmark.sustained(100_000, 99_000, true, 40, 5.0, 5, drain)).isTrue();
    // Drained within the allowance, but the consumer ran 23% behind all step: a growing backlog.
    assertThat(ThroughputBenchmark.sustained(75_000, 57_900, true, 900, 5.0, 5, drain)).isFalse();
    // Kept up on average over a long step and drained, but the lag grew to seconds.
    assertThat(ThroughputBenchmark.sustained(280_000, 273_563, true, 6_203, 60.0, 60, drain))
        .isFalse();
    assertThat(ThroughputBenchmark.sustained(100_000, 99_000, false, 40, 5.0, 5, drain)).isFalse();
    // The producer itself fell behind its schedule.
    assertThat(ThroughputBenchmark.sustained(100_000, 99_000, true, 40, 6.0, 5, drain)).isFalse();
  }

  @Test
  void aFailedChildJvmNamesItsVariant() {
    var bench =
        new ThroughputBenchmark(
            new PrintStream(PrintStream.nullOutputStream()), v -> List.of("sh", "-c", "exit 3"));
    assertThatThrownBy(() -> bench.run(IDENTITY_THEN_SCORING))
        .hasMessageContaining("variant identity failed (exit 3)");
  }

  @Test
  void anUnknownVariantIsNamed() {
    assertThatThrownBy(() -> settings(List.of("fast"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown bench variant 'fast'")
        .hasMessageContaining("scoring_with_ratings");
  }

  @Test
  void anUnknownJobSettingIsNamed() {
    assertThatThrownBy(() -> settings(List.of("scoring"), Map.of("streamrank.flush", "1ms")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown setting 'streamrank.flush'");
  }

  private static ThroughputBenchmark.Settings settings(
      List<String> variants, Map<String, String> jobSettings) {
    return new ThroughputBenchmark.Settings(
        new int[] {500}, 1, 1, 64, 5, Duration.ofSeconds(1), 0, 10, variants, 0, jobSettings);
  }
}
