package io.streamrank.streaming.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamrank.datasets.DriftScenario;
import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.Metrics;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Histogram;
import io.streamrank.model.registry.Manifest;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.streaming.ScoringOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The monitors and the trigger end to end on a MiniCluster at parallelism 2, over a synthetic world
 * (60,000 ratings over 210 days): a model is trained on the first half of the time range and
 * validated on the next 10% (its reference), and the last 40% is the live stream, scored by that
 * model and labelled. Weekly windows, two breaching windows needed, otherwise the documented
 * defaults. Stationary data must raise nothing; a taste shift at 70% of the time range must raise
 * one request by the end of the second full window after the shift.
 */
class DriftScenarioTest {
  static final Duration WINDOW = Duration.ofDays(7);

  @Test
  void stationaryStreamRaisesNoRequest() throws Exception {
    Run run = run(DriftScenario.NONE);
    System.out.printf(
        "stationary: %d windows, max rmse_increase %.3f, max prediction_psi %.3f, max"
            + " rating_psi %.3f, max user_activity_psi %.3f, max movie_popularity_psi %.3f%n",
        run.windows(),
        run.max("rmse_increase"),
        run.max("prediction_psi"),
        run.max("rating_psi"),
        run.max("user_activity_psi"),
        run.max("movie_popularity_psi"));
    assertThat(run.windows()).isGreaterThanOrEqualTo(10);
    assertThat(run.requests()).isEmpty();
    assertThat(run.max("rmse_increase")).isLessThan(0.15);
    // Measured (not NaN) and under their default thresholds on stationary data.
    assertThat(run.max("user_activity_psi")).isLessThan(0.25);
    assertThat(run.max("movie_popularity_psi")).isLessThan(0.25);
  }

  @Test
  void tasteShiftRaisesOneRequestWithinTwoFullWindows() throws Exception {
    long t0 = System.nanoTime();
    Run run = run(DriftScenario.TASTE_SHIFT);
    System.out.printf("taste shift run: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    List<MonitorReport> requests = run.requests();
    System.out.printf(
        "taste shift at %d: requests %s, max rmse_increase %.3f, max prediction_psi %.3f%n",
        run.shiftMillis, requests, run.max("rmse_increase"), run.max("prediction_psi"));
    // One open request at a time: no swap follows, and the request timeout outlasts the run.
    assertThat(requests).hasSize(1);
    MonitorReport r = requests.get(0);
    assertWithinTwoFullWindowsOfTheShift(r, run);
    assertThat(r.getMessage()).contains("rmse_increase");
  }

  @Test
  void aWaveOfNewUsersShowsInUserActivityWithinTwoFullWindows() throws Exception {
    Run run = run(DriftScenario.NEW_USERS);
    List<MonitorReport> requests = run.requests();
    System.out.printf(
        "new users at %d: requests %s, max user_activity_psi %.3f, max movie_popularity_psi"
            + " %.3f%n",
        run.shiftMillis, requests, run.max("user_activity_psi"), run.max("movie_popularity_psi"));
    assertThat(requests).hasSize(1);
    MonitorReport r = requests.get(0);
    assertWithinTwoFullWindowsOfTheShift(r, run);
    assertThat(r.getMessage()).contains("user_activity_psi");
    // Before the wave, user activity is where the reference put it.
    double before =
        run.reports().stream()
            .filter(x -> x.getKind().equals("drift") && x.getWindowEnd() <= run.shiftMillis)
            .mapToDouble(x -> x.getMetrics().get("user_activity_psi"))
            .max()
            .orElseThrow();
    assertThat(before).isLessThan(0.25);
  }

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void swapReportsThatNeverEndDoNotHoldBackTheTrigger() throws Exception {
    // As in the running job: the scoring operator's reports are an endless stream with no event
    // time. The trigger orders window reports by the watermark, so this stream must not hold it.
    Run run = run(DriftScenario.TASTE_SHIFT, true);
    assertWithinTwoFullWindowsOfTheShift(run.requests().get(0), run);
  }

  /** The request's window ends after the shift, by the end of the second full window after it. */
  static void assertWithinTwoFullWindowsOfTheShift(MonitorReport request, Run run) {
    long w = WINDOW.toMillis();
    long firstFullWindowAfterShift = Math.floorDiv(run.shiftMillis + w - 1, w) * w;
    assertThat(request.getWindowEnd()).isGreaterThan(run.shiftMillis);
    assertThat(request.getWindowEnd()).isLessThanOrEqualTo(firstFullWindowAfterShift + 2 * w);
  }

  record Run(List<MonitorReport> reports, long shiftMillis) {
    List<MonitorReport> requests() {
      return reports.stream().filter(r -> r.getKind().equals("retrain")).toList();
    }

    long windows() {
      return reports.stream().filter(r -> r.getKind().equals("error")).count();
    }

    double max(String metric) {
      return reports.stream()
          .map(r -> r.getMetrics().get(metric))
          .filter(v -> v != null && !v.isNaN())
          .mapToDouble(Double::doubleValue)
          .max()
          .orElse(Double.NaN);
    }
  }

  static Run run(DriftScenario scenario) throws Exception {
    return run(scenario, false);
  }

  /**
   * Runs the monitors over the scenario's stream. With {@code endless}, the model reports go on
   * after the stream ends (a rejection of an unrelated version every 100 ms, which the trigger
   * ignores), and the run stops at the first retrain report instead of at the end of the job.
   */
  static Run run(DriftScenario scenario, boolean endless) throws Exception {
    SyntheticGenerator.Options options =
        SyntheticGenerator.Options.defaults().withRatings(60_000).withScenario(scenario);
    long t0 = System.nanoTime();
    List<Rating> ratings = new SyntheticGenerator(options).generate().ratings();
    Split split = Splits.byTime(ratings, 0.5, 0.6);
    ModelConfig cfg =
        ModelConfig.builder().embeddingDim(8).hiddenLayers(16).epochs(4).seed(1).build();
    RankingModel model = new Trainer().train(split.train(), split.valid(), cfg, (e, t, v) -> true);
    ReferenceSource references = references(model, split.train(), split.valid());
    System.out.printf("generated and trained in %.1f s%n", (System.nanoTime() - t0) / 1e9);

    List<Prediction> predictions = new ArrayList<>();
    List<RatingEvent> labels = new ArrayList<>();
    for (int i = 0; i < split.test().size(); i++) {
      Rating r = split.test().get(i);
      long t = r.timestamp() * 1000;
      String id = "ev-" + i;
      predictions.add(
          Prediction.newBuilder()
              .setEventId(id)
              .setUserId(r.userId())
              .setMovieId(r.movieId())
              .setEventTimestamp(t)
              .setScore(model.predict(r.userId(), r.movieId(), null))
              .setModelVersion("v1")
              .setIngestTime(t)
              .setScoredTime(t + 3)
              .setUserKnown(model.knowsUser(r.userId()))
              .setMovieKnown(model.knowsMovie(r.movieId()))
              .build());
      labels.add(
          RatingEvent.newBuilder()
              .setEventId(id)
              .setUserId(r.userId())
              .setMovieId(r.movieId())
              .setTimestamp(t)
              .setRating(r.rating())
              .build());
    }

    Configuration conf = new Configuration();
    conf.set(ScoringOptions.MONITOR_WINDOW, WINDOW);
    conf.set(ScoringOptions.MONITOR_MAX_OUT_OF_ORDERNESS, Duration.ofHours(1));
    conf.set(ScoringOptions.TRIGGER_WINDOWS, 2);
    conf.set(ScoringOptions.TRIGGER_COOLDOWN, Duration.ofDays(28));
    conf.set(ScoringOptions.TRIGGER_REQUEST_TIMEOUT, Duration.ofDays(365));
    MonitorSettings settings = ScoringOptions.monitorSettings(conf);

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    AvroTypeInfo<MonitorReport> reportType = new AvroTypeInfo<>(MonitorReport.class);
    DataStream<MonitorReport> modelReports =
        env.fromData(List.of(MonitorFixtures.report("swap", "v1", 0, 0, Map.of())), reportType);
    if (endless) {
      GeneratorFunction<Long, MonitorReport> rejection =
          i -> MonitorFixtures.report("rejection", "v0", 0, 0, Map.of());
      modelReports =
          modelReports.union(
              env.fromSource(
                  new DataGeneratorSource<>(
                      rejection, Long.MAX_VALUE, RateLimiterStrategy.perSecond(10), reportType),
                  WatermarkStrategy.noWatermarks(),
                  "endless model reports"));
    }
    Monitors.Outputs out =
        Monitors.attach(
            env.fromData(predictions, new AvroTypeInfo<>(Prediction.class)),
            env.fromData(labels, new AvroTypeInfo<>(RatingEvent.class)),
            modelReports,
            settings,
            references);
    List<MonitorReport> reports = new ArrayList<>();
    try (CloseableIterator<MonitorReport> it = out.reports().executeAndCollect("monitors")) {
      while (it.hasNext()) {
        MonitorReport r = it.next();
        reports.add(r);
        if (endless && r.getKind().equals("retrain")) {
          break;
        }
      }
    }
    long span = options.days() * 86_400_000L;
    long shift = SyntheticGenerator.START_EPOCH_SECONDS * 1000 + (long) (options.driftAt() * span);
    return new Run(reports, shift);
  }

  static ReferenceSource references(RankingModel model, List<Rating> train, List<Rating> valid) {
    float[] p = Metrics.predict(model, valid, null);
    float[] r = Metrics.labels(valid);
    long[] users = model.users().ids();
    long[] movies = model.movies().ids();
    int[] userCounts = counts(users, train, Rating::userId);
    int[] movieCounts = counts(movies, train, Rating::movieId);
    Manifest.Vocabulary v = new Manifest.Vocabulary(users, movies, userCounts, movieCounts);
    float[] ua = new float[valid.size()];
    float[] mp = new float[valid.size()];
    for (int i = 0; i < ua.length; i++) {
      ua[i] = v.userRatingCount(valid.get(i).userId());
      mp[i] = v.movieRatingCount(valid.get(i).movieId());
    }
    return new FixedReference(
        Histogram.of(p, p.length, Bundles.PREDICTION_EDGES).fractions(),
        Histogram.of(r, r.length, Bundles.RATING_EDGES).fractions(),
        Histogram.of(ua, ua.length, Bundles.ACTIVITY_EDGES).fractions(),
        Histogram.of(mp, mp.length, Bundles.ACTIVITY_EDGES).fractions(),
        users,
        userCounts,
        movies,
        movieCounts,
        Metrics.rmse(model, valid));
  }

  private static int[] counts(
      long[] ids, List<Rating> rows, java.util.function.ToLongFunction<Rating> id) {
    Map<Long, Integer> n = new java.util.HashMap<>();
    rows.forEach(x -> n.merge(id.applyAsLong(x), 1, Integer::sum));
    return java.util.Arrays.stream(ids).mapToInt(i -> n.getOrDefault(i, 0)).toArray();
  }

  /**
   * A reference computed in the test, shipped with the job graph as plain arrays: prediction,
   * rating, user-activity and movie-popularity histograms and the training-set rating counts.
   */
  record FixedReference(
      double[] predictions,
      double[] ratings,
      double[] userActivity,
      double[] moviePopularity,
      long[] users,
      int[] userCounts,
      long[] movies,
      int[] movieCounts,
      double rmse)
      implements ReferenceSource {
    @Override
    public MonitorReference reference(String version) {
      return new MonitorReference(
          Map.of(
              Manifest.PREDICTION_HISTOGRAM,
              new Histogram(Bundles.PREDICTION_EDGES, predictions, 1),
              Manifest.RATING_HISTOGRAM,
              new Histogram(Bundles.RATING_EDGES, ratings, 1),
              Manifest.USER_ACTIVITY_HISTOGRAM,
              new Histogram(Bundles.ACTIVITY_EDGES, userActivity, 1),
              Manifest.MOVIE_POPULARITY_HISTOGRAM,
              new Histogram(Bundles.ACTIVITY_EDGES, moviePopularity, 1)),
          rmse,
          new Manifest.Vocabulary(users, movies, userCounts, movieCounts));
    }
  }
}
