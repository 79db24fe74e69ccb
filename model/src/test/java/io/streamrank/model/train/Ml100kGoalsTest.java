package io.streamrank.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.streamrank.datasets.Rating;
import io.streamrank.model.Ml100k;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.features.StreamingFeatures;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains the default configuration on MovieLens 100k (read from the shared data directory, skipped
 * when it is absent) and checks the module's quality and speed figures. Bounds are the measured
 * figures plus a small margin, so a regression fails; the README lists the figures and the goals.
 */
class Ml100kGoalsTest {
  private static List<Rating> ratings;

  @TempDir Path registry;

  @BeforeAll
  static void load() {
    Optional<List<Rating>> data = Ml100k.load();
    assumeTrue(data.isPresent(), "MovieLens 100k not found under ../shared/data; skipped");
    ratings = data.get();
  }

  @Test
  void randomSplitWithoutFeatures() throws Exception {
    TrainReport r =
        new TrainPipeline(registry.toUri().toString())
            .run(ratings, SplitKind.RANDOM, ModelConfig.defaults(), "random");
    System.out.println("ML-100k random split, defaults: " + r.toJson());
    assertThat(r.testRmse()).isLessThan(0.915);
    assertThat(r.testNdcg10()).isGreaterThan(r.popularityNdcg10() + 0.05);
    assertThat(r.trainSeconds()).isLessThan(60);
  }

  @Test
  void timeSplitWithStreamingFeaturesMeetsTheGoal() throws Exception {
    TrainReport r =
        new TrainPipeline(registry.toUri().toString())
            .withStreamingFeatures(StreamingFeatures.DEFAULT)
            .run(
                ratings,
                SplitKind.TIME,
                ModelConfig.builder().numFeatures(StreamingFeatures.COUNT).build(),
                "time-features");
    System.out.println("ML-100k time split, defaults + streaming features: " + r.toJson());
    assertThat(r.testRmse()).isLessThanOrEqualTo(1.02);
    assertThat(r.testNdcg10()).isGreaterThan(r.popularityNdcg10());
    assertThat(r.trainSeconds()).isLessThan(60);
  }

  @Test
  void timeSplitWithoutFeatures() throws Exception {
    TrainReport r =
        new TrainPipeline(registry.toUri().toString())
            .run(ratings, SplitKind.TIME, ModelConfig.defaults(), "time");
    System.out.println("ML-100k time split, defaults: " + r.toJson());
    // The static model's floor on this split (90% of test rows are unseen users) is about 1.02.
    assertThat(r.testRmse()).isLessThan(1.03);
    assertThat(r.trainSeconds()).isLessThan(60);
  }
}
