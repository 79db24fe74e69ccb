package io.streamrank.streaming.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Histogram;
import io.streamrank.model.registry.Manifest;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import io.streamrank.schemas.RetrainRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/**
 * Harness tests of the user-activity and movie-popularity drift signals on hand-made windows with a
 * known PSI.
 *
 * <p>The reference: user 1 had 3 training ratings (bin 2–4), user 2 had 30 (bin 20–49), each half
 * of the validation rows; movie 5 had 15 (bin 10–19), all of the validation rows.
 */
class InputDriftTest {
  static final long WINDOW = 1000;
  static final int BINS = Bundles.ACTIVITY_EDGES.length - 1;

  static MonitorReference reference(boolean withCounts) {
    double[] users = new double[BINS];
    users[Histogram.bin(Bundles.ACTIVITY_EDGES, 3)] = 0.5;
    users[Histogram.bin(Bundles.ACTIVITY_EDGES, 30)] = 0.5;
    double[] movies = new double[BINS];
    movies[Histogram.bin(Bundles.ACTIVITY_EDGES, 15)] = 1.0;
    Map<String, Histogram> histograms = new HashMap<>(MonitorFixtures.reference(0.9).histograms());
    histograms.put(
        Manifest.USER_ACTIVITY_HISTOGRAM, new Histogram(Bundles.ACTIVITY_EDGES, users, 100));
    histograms.put(
        Manifest.MOVIE_POPULARITY_HISTOGRAM, new Histogram(Bundles.ACTIVITY_EDGES, movies, 100));
    Manifest.Vocabulary vocabulary =
        withCounts
            ? new Manifest.Vocabulary(
                new long[] {1, 2}, new long[] {5}, new int[] {3, 30}, new int[] {15})
            : new Manifest.Vocabulary(new long[] {1, 2}, new long[] {5});
    return new MonitorReference(histograms, 0.9, vocabulary);
  }

  static KeyedOneInputStreamOperatorTestHarness<String, Prediction, MonitorReport> harness(
      MonitorReference reference) throws Exception {
    var h =
        ProcessFunctionTestHarnesses.forKeyedProcessFunction(
            new WindowedMonitor<>(new PredictionDrift(), WINDOW, v -> reference),
            Prediction::getModelVersion,
            Types.STRING);
    h.open();
    return h;
  }

  static Prediction prediction(int i, long user, long movie) {
    return Prediction.newBuilder(MonitorFixtures.prediction("e" + i, "v1", i, 3.0f))
        .setUserId(user)
        .setMovieId(movie)
        .setUserKnown(user == 1 || user == 2)
        .setMovieKnown(movie == 5)
        .build();
  }

  @Test
  void userActivityAndMoviePopularityHaveTheKnownPsi() throws Exception {
    try (var h = harness(reference(true))) {
      // Window [0, 1000): 80 events of user 1 and 20 of user 2 (reference 50/50), all movie 5.
      for (int i = 0; i < 100; i++) {
        h.processElement(prediction(i, i < 80 ? 1 : 2, 5), i);
      }
      // Window [1000, 2000): the reference's users, and a wave of a new movie (99, unknown).
      for (int i = 0; i < 10; i++) {
        h.processElement(prediction(1000 + i, i < 5 ? 1 : 2, 99), 1000 + i);
      }
      h.processWatermark(2000);
      List<MonitorReport> out = h.extractOutputValues();
      assertThat(out).hasSize(2);
      Map<String, Double> first = out.get(0).getMetrics();
      Map<String, Double> second = out.get(1).getMetrics();

      // Two bins move 0.5 -> 0.8 and 0.5 -> 0.2; the floor on the other 8 bins scales by 1/1.0008.
      double expected =
          (0.3 * Math.log(0.8 / 0.5) + 0.3 * Math.log(0.5 / 0.2)) / (1 + 8 * Divergence.FLOOR);
      assertThat(first.get("user_activity_psi")).isCloseTo(expected, within(1e-9));
      assertThat(first.get("user_activity_js")).isBetween(0.05, 0.2);
      assertThat(first.get("movie_popularity_psi")).isCloseTo(0, within(1e-9));
      assertThat(second.get("user_activity_psi")).isCloseTo(0, within(1e-9));

      // All mass moves from the 10–19 bin to the unknown bin: 2 (1 - f) ln(1 / f) / (1 + 9 f).
      double f = Divergence.FLOOR;
      double wave = 2 * (1 - f) * Math.log(1 / f) / (1 + 9 * f);
      assertThat(second.get("movie_popularity_psi")).isCloseTo(wave, within(1e-9));
      assertThat(second.get("movie_popularity_js")).isGreaterThan(0.99);
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void withoutTrainingCountsTheSignalsAreNaNAndTheRestIsMeasured() throws Exception {
    MonitorReference old = reference(false);
    assertThat(old.hasActivity()).isFalse();
    try (var h = harness(old)) {
      for (int i = 0; i < 10; i++) {
        h.processElement(prediction(i, 1, 5), i);
      }
      h.processWatermark(1000);
      Map<String, Double> m = h.extractOutputValues().get(0).getMetrics();
      assertThat(m.get("user_activity_psi")).isNaN();
      assertThat(m.get("user_activity_js")).isNaN();
      assertThat(m.get("movie_popularity_psi")).isNaN();
      assertThat(m.get("predictions")).isEqualTo(10.0);
      assertThat(m.get("hour_psi")).isCloseTo(0, within(1e-9));
    }
  }

  @Test
  void sustainedUserActivityDriftRaisesARequestNamingIt() throws Exception {
    // Thresholds: user activity 0.4, movie popularity 0.6; the others as in RetrainTriggerTest.
    TriggerPolicy policy =
        new TriggerPolicy(0.25, 0.25, 0.4, 0.6, 0.25, 0.3, 0.15, 100, 300, 2, 3000, 5000, 0);
    try (var h =
        ProcessFunctionTestHarnesses.forKeyedProcessFunction(
            new RetrainTrigger(policy), r -> RetrainTrigger.KEY, Types.STRING)) {
      h.open();
      for (int w = 0; w < 4; w++) {
        RetrainTriggerTest.send(h, RetrainTriggerTest.error("v1", w, 0.02, 200));
        // Movie popularity stays under its own threshold; user activity breaches from window 2.
        RetrainTriggerTest.send(
            h,
            MonitorFixtures.report(
                "drift",
                "v1",
                w * 1000L,
                (w + 1) * 1000L,
                Map.of("user_activity_psi", w >= 2 ? 0.5 : 0.1, "movie_popularity_psi", 0.5)));
      }
      List<RetrainRequest> requests = h.extractOutputValues();
      assertThat(requests).hasSize(1);
      assertThat(requests.get(0).getReason()).contains("user_activity_psi 0.5000 > 0.4000");
      assertThat(requests.get(0).getWindowEnd()).isEqualTo(4000);
    }
  }
}
