package io.streamrank.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.SyntheticRatings;
import io.streamrank.model.features.RatingStats;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.model.onnx.OnnxScorer;
import io.streamrank.model.onnx.ScorerOptions;
import io.streamrank.model.registry.GoldenRow;
import io.streamrank.model.registry.LoadedBundle;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainPipelineTest {
  @TempDir Path dir;

  @Test
  void trainsEvaluatesAndPublishesABundle() throws Exception {
    List<Rating> ratings = SyntheticRatings.generate(80, 50, 6_000, 21);
    ModelConfig cfg =
        ModelConfig.builder()
            .embeddingDim(8)
            .hiddenLayers(8)
            .epochs(4)
            .batchSize(128)
            .threads(2)
            .build();
    TrainPipeline pipeline = new TrainPipeline(dir.toUri().toString());
    TrainReport random = pipeline.run(ratings, SplitKind.RANDOM, cfg, "r1");
    TrainReport time = pipeline.run(ratings, SplitKind.TIME, cfg, "t1", "r1");

    assertThat(random.trainRows()).isEqualTo(4_200);
    assertThat(random.testRows()).isEqualTo(1_200);
    assertThat(random.testRmse()).isBetween(0.1, 1.5);
    assertThat(random.testNdcg10()).isGreaterThan(random.popularityNdcg10());
    assertThat(time.epochs()).isBetween(1, 4);

    JsonNode json = new ObjectMapper().readTree(time.toJson());
    for (String key :
        List.of(
            "valid_rmse",
            "test_rmse",
            "test_mae",
            "test_ndcg10",
            "popularity_ndcg10",
            "train_rows",
            "test_rows",
            "wall_seconds",
            "bundle")) {
      assertThat(json.has(key)).as(key).isTrue();
    }
    assertThat(json.get("bundle").get("version").asText()).isEqualTo("t1");

    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    assertThat(registry.versions()).containsExactly("r1", "t1");
    LoadedBundle b = registry.load("t1");
    assertThat(b.manifest().parentVersion()).isEqualTo("r1");
    assertThat(b.manifest().metrics().get("test_rmse")).isEqualTo(time.testRmse());
    assertThat(b.manifest().dataWindow().start()).startsWith("1970-01-12");
    assertThat(b.manifest().features()).isNull();
  }

  @Test
  void refitsOnTrainAndValidForTheBestEpochCount() throws Exception {
    List<Rating> ratings = SyntheticRatings.generate(80, 50, 6_000, 23);
    ModelConfig cfg =
        ModelConfig.builder()
            .embeddingDim(8)
            .hiddenLayers(8)
            .epochs(6)
            .patience(2)
            .batchSize(128)
            .threads(2)
            .build();
    List<double[]> seen = new ArrayList<>();
    TrainPipeline pipeline =
        new TrainPipeline(
            new ModelRegistry(dir.toUri().toString()),
            (e, tr, va) -> {
              seen.add(new double[] {e, va});
              return true;
            });
    TrainReport r = pipeline.run(ratings, SplitKind.TIME, cfg, "refit");
    TrainReport plain =
        pipeline.withRefitOnTrainAndValid(false).run(ratings, SplitKind.TIME, cfg, "plain");

    // The listener saw the early-stopped runs only (no NaN validation from the refit).
    assertThat(seen).allSatisfy(ev -> assertThat(ev[1]).isFinite());
    int best = 0;
    double bestValid = Double.POSITIVE_INFINITY;
    for (int i = 0; i < r.epochs(); i++) {
      if (seen.get(i)[1] < bestValid) {
        bestValid = seen.get(i)[1];
        best = (int) seen.get(i)[0];
      }
    }
    assertThat(r.refit()).isTrue();
    assertThat(r.refitEpochs()).isEqualTo(best).isBetween(1, r.epochs());
    // The same early-stopped model: same validation figure, and its test RMSE is reported.
    assertThat(r.validRmse()).isEqualTo(plain.validRmse());
    assertThat(r.earlyStoppedTestRmse()).isEqualTo(plain.testRmse());
    assertThat(r.testRmse()).isNotEqualTo(r.earlyStoppedTestRmse()).isBetween(0.1, 1.5);
    assertThat(plain.refit()).isFalse();
    assertThat(plain.refitEpochs()).isZero();

    JsonNode json = new ObjectMapper().readTree(r.toJson());
    assertThat(json.get("refit").asBoolean()).isTrue();
    assertThat(json.get("refit_epochs").asInt()).isEqualTo(best);
    assertThat(json.get("early_stopped_test_rmse").asDouble()).isEqualTo(plain.testRmse());
    assertThat(new ObjectMapper().readTree(plain.toJson()).get("refit").asBoolean()).isFalse();

    // The bundle is the refit model: trained for the best epoch count on train + valid, data
    // window up to the end of validation, golden rows and histograms from the held-out test rows.
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    Manifest m = registry.load("refit").manifest();
    assertThat(m.config()).isEqualTo(cfg.toBuilder().epochs(best).build());
    assertThat(m.metrics())
        .containsEntry("refit", 1.0)
        .containsEntry("refit_epochs", (double) best)
        .containsEntry("test_rmse", r.testRmse())
        .containsEntry("valid_rmse", r.validRmse());
    assertThat(registry.load("plain").manifest().config()).isEqualTo(cfg);
    assertThat(registry.load("plain").manifest().metrics()).containsEntry("refit", 0.0);
    Split s = Splits.byTime(ratings);
    long validEnd = s.valid().get(s.valid().size() - 1).timestamp();
    long trainEnd = s.train().get(s.train().size() - 1).timestamp();
    assertThat(Instant.parse(m.dataWindow().end()).getEpochSecond()).isEqualTo(validEnd);
    assertThat(Instant.parse(registry.load("plain").manifest().dataWindow().end()).getEpochSecond())
        .isEqualTo(trainEnd);
    Set<String> testPairs = new HashSet<>();
    s.test().forEach(x -> testPairs.add(x.userId() + "/" + x.movieId()));
    List<GoldenRow> labelled = m.golden().stream().filter(g -> g.rating() != null).toList();
    assertThat(labelled).isNotEmpty();
    assertThat(labelled)
        .allSatisfy(g -> assertThat(testPairs).contains(g.userId() + "/" + g.movieId()));
    try (OnnxScorer scorer =
        OnnxScorer.open(registry.load("refit").onnx(), ScorerOptions.defaults())) {
      assertThat(m.checkGolden(scorer, 1e-5f)).isLessThan(1e-5);
    }
  }

  @Test
  void mergedTrainAndValidFeaturesUseOnlyEarlierRatings() {
    // Coarse timestamps so that many ratings share one: equal times must not see each other.
    List<Rating> ratings =
        SyntheticRatings.generate(30, 20, 2_000, 24).stream()
            .map(r -> new Rating(r.userId(), r.movieId(), r.timestamp() / 7, r.rating()))
            .toList();
    StreamingFeatures sf = StreamingFeatures.DEFAULT;
    // The oracle's residual of each rating: against its movie's strictly earlier ratings.
    double[] residual = new double[ratings.size()];
    for (int j = 0; j < ratings.size(); j++) {
      Rating h = ratings.get(j);
      RatingStats movie = RatingStats.EMPTY;
      for (Rating o : ratings) {
        if (o.movieId() == h.movieId() && o.timestamp() < h.timestamp()) {
          movie = movie.plus(o.rating());
        }
      }
      residual[j] = sf.residual(h.rating(), movie);
    }
    for (Split s : List.of(Splits.byTime(ratings), Splits.random(ratings, 5))) {
      List<Rating> merged = TrainPipeline.concat(s.train(), s.valid());
      float[][] mergedF =
          TrainPipeline.concat(
              sf.pointInTime(ratings, s.train()), sf.pointInTime(ratings, s.valid()));
      assertThat(mergedF.length).isEqualTo(merged.size());
      for (int i = 0; i < merged.size(); i++) {
        Rating row = merged.get(i);
        // The oracle: statistics over the ratings strictly earlier than the row, nothing else.
        long un = 0;
        double us = 0;
        RatingStats ur = RatingStats.EMPTY;
        long mn = 0;
        double ms = 0;
        for (int j = 0; j < ratings.size(); j++) {
          Rating h = ratings.get(j);
          if (h.timestamp() < row.timestamp()) {
            if (h.userId() == row.userId()) {
              un++;
              us += h.rating();
              ur = sf.merge(ur, sf.rating(h.rating(), residual[j], h.timestamp()));
            }
            if (h.movieId() == row.movieId()) {
              mn++;
              ms += h.rating();
            }
          }
        }
        float[] want = new float[StreamingFeatures.COUNT];
        RatingStats user =
            new RatingStats(un, us, ur.residualSum(), ur.residualWeight(), ur.residualAt());
        sf.compute(user, new RatingStats(mn, ms), row.timestamp(), want, 0);
        assertThat(mergedF[i]).as("row %d", i).containsExactly(want, within(1e-6f));
      }
    }
  }

  @Test
  void streamingFeaturesTravelWithTheBundle() throws Exception {
    List<Rating> ratings = SyntheticRatings.generate(80, 50, 4_000, 22);
    ModelConfig cfg =
        ModelConfig.builder()
            .embeddingDim(8)
            .hiddenLayers(8)
            .epochs(3)
            .threads(2)
            .numFeatures(StreamingFeatures.COUNT)
            .build();
    TrainPipeline pipeline =
        new TrainPipeline(dir.toUri().toString()).withStreamingFeatures(StreamingFeatures.DEFAULT);
    TrainReport r = pipeline.run(ratings, SplitKind.TIME, cfg, "f1");
    assertThat(r.testRmse()).isBetween(0.1, 1.5);
    LoadedBundle b = new ModelRegistry(dir.toUri().toString()).load("f1");
    assertThat(b.manifest().features()).containsEntry("names", StreamingFeatures.NAMES);
    assertThat(b.manifest().signature().numFeatures()).isEqualTo(StreamingFeatures.COUNT);
    assertThat(b.manifest().golden().get(10).features()).hasSize(StreamingFeatures.COUNT);
    try (OnnxScorer scorer = OnnxScorer.open(b.onnx(), ScorerOptions.defaults())) {
      assertThat(b.manifest().checkGolden(scorer, 1e-5f)).isLessThan(1e-5);
    }
    assertThatThrownBy(
            () ->
                pipeline.run(ratings, SplitKind.TIME, cfg.toBuilder().numFeatures(0).build(), "f2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("numFeatures must be " + StreamingFeatures.COUNT);
  }
}
