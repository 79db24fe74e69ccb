package io.streamrank.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamrank.datasets.Rating;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.SyntheticRatings;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.model.onnx.OnnxScorer;
import io.streamrank.model.onnx.ScorerOptions;
import io.streamrank.model.registry.LoadedBundle;
import io.streamrank.model.registry.ModelRegistry;
import java.nio.file.Path;
import java.util.List;
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
    assertThat(b.manifest().signature().numFeatures()).isEqualTo(4);
    assertThat(b.manifest().golden().get(10).features()).hasSize(4);
    try (OnnxScorer scorer = OnnxScorer.open(b.onnx(), ScorerOptions.defaults())) {
      assertThat(b.manifest().checkGolden(scorer, 1e-5f)).isLessThan(1e-5);
    }
    assertThatThrownBy(
            () ->
                pipeline.run(ratings, SplitKind.TIME, cfg.toBuilder().numFeatures(0).build(), "f2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("numFeatures must be 4");
  }
}
