package io.streamrank.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.model.onnx.Device;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.ModelRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's feature setting and the model's signature must agree: a model with a features input
 * serves only on a job that attaches the same streaming features, a model without one only on a job
 * that attaches none; anything else is rejected with the reason.
 */
class FeatureModelProviderTest {
  @TempDir static Path dir;
  private static String registry;

  @BeforeAll
  static void publish() throws Exception {
    List<Rating> all =
        new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(4_000))
            .generate()
            .ratings();
    Split split = Splits.byTime(all);
    ModelConfig cfg = ModelConfig.builder().embeddingDim(4).hiddenLayers(8).epochs(1).build();
    ModelRegistry reg = new ModelRegistry(dir.toUri().toString());
    registry = dir.toUri().toString();
    RankingModel plain =
        new Trainer().train(split.train(), split.valid(), cfg, TrainingListener.NONE);
    Bundles.exportAndPublish(reg, plain, "plain", null, split.valid(), Map.of());
    ModelConfig fcfg = cfg.toBuilder().numFeatures(StreamingFeatures.COUNT).build();
    for (StreamingFeatures def :
        List.of(StreamingFeatures.DEFAULT, new StreamingFeatures(3.0f, 5f, 7f))) {
      float[][] trainF = def.pointInTime(all, split.train());
      float[][] validF = def.pointInTime(all, split.valid());
      RankingModel m =
          new Trainer()
              .train(split.train(), trainF, split.valid(), validF, fcfg, TrainingListener.NONE);
      String version = def.equals(StreamingFeatures.DEFAULT) ? "features" : "other-prior";
      Bundles.exportAndPublish(reg, m, version, null, split.valid(), validF, Map.of(), def);
    }
  }

  private static RegistryModelProvider provider(String version, StreamingFeatures features) {
    return new RegistryModelProvider(registry, version, Device.CPU, 1, features);
  }

  @Test
  void aFeatureModelServesOnAJobWithFeaturesAndScoresWithThem() throws Exception {
    try (ScoringModel m = provider("features", StreamingFeatures.DEFAULT).openInitial(8)) {
      assertThat(m.numFeatures()).isEqualTo(StreamingFeatures.COUNT);
      float[] x = new float[2 * StreamingFeatures.COUNT];
      float[] out = new float[2];
      float[] other = new float[2];
      StreamingFeatures.DEFAULT.compute(
          new io.streamrank.model.features.RatingStats(40, 190),
          io.streamrank.model.features.RatingStats.EMPTY,
          0,
          x,
          StreamingFeatures.COUNT);
      m.score(new long[] {1, 1}, new long[] {2, 2}, x, 2, out);
      assertThat(out[0]).isNotEqualTo(out[1]); // the same ids, other features: another score
      assertThat(m.gateRows().numFeatures()).isEqualTo(StreamingFeatures.COUNT);
      assertThat(m.gateRows().rmse(m, 8)).isFinite();
      m.score(new long[] {1, 1}, new long[] {2, 2}, x, 2, other);
      assertThat(other).containsExactly(out);
    }
  }

  @Test
  void aFeatureModelIsRejectedOnAJobWithoutFeatures() {
    assertThatThrownBy(() -> provider("features", null).openInitial(8))
        .isInstanceOf(ModelRejectedException.class)
        .hasMessageContaining("streamrank.features.enabled=false")
        .hasMessageContaining("expects " + StreamingFeatures.COUNT + " features");
  }

  @Test
  void aModelWithoutFeaturesIsRejectedOnAJobWithFeatures() {
    assertThatThrownBy(() -> provider("plain", StreamingFeatures.DEFAULT).openInitial(8))
        .isInstanceOf(ModelRejectedException.class)
        .hasMessageContaining("streamrank.features.enabled=true")
        .hasMessageContaining("the model expects 0");
  }

  @Test
  void aModelTrainedWithAnotherFeatureDefinitionIsRejected() {
    assertThatThrownBy(() -> provider("other-prior", StreamingFeatures.DEFAULT).openInitial(8))
        .isInstanceOf(ModelRejectedException.class)
        .hasMessageContaining("trained with")
        .hasMessageContaining("prior=3.0");
  }

  @Test
  void aModelWithoutFeaturesServesOnAJobWithoutFeatures() throws Exception {
    try (ScoringModel m = provider("plain", null).openInitial(8)) {
      assertThat(m.numFeatures()).isZero();
      float[] out = new float[1];
      m.score(new long[] {1}, new long[] {2}, null, 1, out);
      assertThat(out[0]).isFinite();
    }
  }
}
