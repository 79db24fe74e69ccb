package io.streamrank.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import io.streamrank.datasets.Rating;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.SyntheticRatings;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Java predictions and ONNX Runtime predictions of the exported graph agree within 1e-5. */
class OnnxParityTest {
  private static final List<Rating> RATINGS = SyntheticRatings.generate(80, 50, 5_000, 5);

  private static ModelConfig tiny() {
    return ModelConfig.builder()
        .embeddingDim(8)
        .hiddenLayers(16, 8)
        .epochs(3)
        .batchSize(64)
        .learningRate(0.01f)
        .threads(2)
        .build();
  }

  @Test
  void noFeaturesSeparateEmbeddings() {
    assertParity(train(tiny()), new OnnxExporter(), false);
  }

  @Test
  void sharedEmbeddingsAndNoHiddenLayer() {
    assertParity(
        train(tiny().toBuilder().sharedEmbeddings(true).hiddenLayers().build()),
        new OnnxExporter(),
        false);
  }

  @Test
  void withFeatures() {
    ModelConfig cfg = tiny().toBuilder().numFeatures(3).build();
    List<Rating> train = RATINGS.subList(0, 4_000);
    List<Rating> valid = RATINGS.subList(4_000, 5_000);
    RankingModel model =
        new Trainer()
            .train(
                train,
                SyntheticRatings.features(train, 3),
                valid,
                SyntheticRatings.features(valid, 3),
                cfg,
                TrainingListener.NONE);
    assertParity(model, new OnnxExporter(), false);
  }

  @Test
  void labelEncoderForIdsTooLargeForADenseTable() {
    // A dense-table limit below the largest id switches the exporter to a LabelEncoder.
    OnnxExporter exporter = new OnnxExporter(10);
    assertParity(train(tiny()), exporter, true);
  }

  @Test
  void metadataCarriesVersionAndHyperparameters() {
    RankingModel model = train(tiny());
    ModelProto proto = new OnnxExporter().toProto(model, "v7", Map.of("data_window", "x"));
    Map<String, String> meta =
        proto.getMetadataPropsList().stream()
            .collect(
                Collectors.toMap(StringStringEntryProto::getKey, StringStringEntryProto::getValue));
    assertThat(proto.getProducerName()).isEqualTo("streamrank");
    assertThat(proto.getOpsetImport(0).getVersion()).isEqualTo(OnnxExporter.OPSET);
    assertThat(meta).containsEntry("version", "v7").containsEntry("data_window", "x");
    assertThat(meta.get("hyperparameters")).contains("\"embedding_dim\":8");
    try (OnnxScorer scorer = OnnxScorer.open(proto.toByteArray(), ScorerOptions.defaults())) {
      assertThat(scorer.metadata()).containsEntry("version", "v7");
    }
  }

  private static RankingModel train(ModelConfig cfg) {
    return new Trainer()
        .train(
            RATINGS.subList(0, 4_000), RATINGS.subList(4_000, 5_000), cfg, TrainingListener.NONE);
  }

  private static void assertParity(
      RankingModel model, OnnxExporter exporter, boolean labelEncoder) {
    byte[] onnx = exporter.export(model, "test", Map.of());
    ModelProto proto = exporter.toProto(model, "test", Map.of());
    boolean usesLabelEncoder =
        proto.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("LabelEncoder"));
    assertThat(usesLabelEncoder).isEqualTo(labelEncoder);

    int n = 1_000;
    int f = model.numFeatures();
    long[] users = new long[n];
    long[] movies = new long[n];
    float[] features = f > 0 ? new float[n * f] : null;
    SplittableRandom rng = new SplittableRandom(17);
    long[] odd = {0, -1, -1_000, Long.MIN_VALUE, Long.MAX_VALUE, 81, 51, 1_000_000};
    for (int i = 0; i < n; i++) {
      // Mostly known ids, some unseen, negative, zero and out-of-range ones.
      users[i] = i % 10 == 0 ? odd[rng.nextInt(odd.length)] : 1 + rng.nextInt(80);
      movies[i] = i % 7 == 0 ? odd[rng.nextInt(odd.length)] : 1 + rng.nextInt(50);
      for (int j = 0; j < f; j++) {
        features[i * f + j] = (float) rng.nextGaussian();
      }
    }
    float[] java = new float[n];
    model.predictBatch(users, movies, features, n, java);
    float[] ort = new float[n];
    // maxBatchSize 300 also exercises splitting a call into several runs.
    try (OnnxScorer scorer = OnnxScorer.open(onnx, new ScorerOptions(Device.CPU, 1, 300))) {
      assertThat(scorer.numFeatures()).isEqualTo(f);
      scorer.score(users, movies, features, n, ort);
    }
    for (int i = 0; i < n; i++) {
      assertThat(ort[i])
          .as("row %d user %d movie %d", i, users[i], movies[i])
          .isCloseTo(java[i], org.assertj.core.data.Offset.offset(1e-5f));
    }
    // The unknown ids really took the out-of-vocabulary path.
    assertThat(model.knowsUser(-1)).isFalse();
    assertThat(model.predict(-1, 3, f > 0 ? new float[f] : null))
        .isEqualTo(model.predict(1_000_000, 3, f > 0 ? new float[f] : null));
  }
}
