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
import io.streamrank.model.onnx.Device;
import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate with real bundles: a candidate trained on shuffled ratings is worse than the serving
 * version on the candidate's own labelled golden rows and is rejected; a properly trained one
 * passes.
 */
class RegistryGateTest {
  @Test
  void ratingsThatMatchedNoPredictionHaveNoMonitoringReference(@TempDir Path dir) throws Exception {
    var provider = new RegistryModelProvider(dir.toUri().toString(), "v1", Device.CPU, 1);
    assertThat(provider.reference(ModelRegistry.UNMATCHED_VERSION)).isNull();
  }

  @Test
  void aVersionLoadedInThisJvmKeepsItsMonitoringReferenceAndOthersAreReadFromTheRegistry(
      @TempDir Path dir) throws Exception {
    Split split = timeSplit(5_000);
    ModelConfig cfg = ModelConfig.builder().embeddingDim(4).hiddenLayers(4).epochs(1).build();
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    RankingModel model = train(split.train(), split, cfg);
    publish(registry, "v1", model, split, 0, Map.of("valid_rmse", 1.25));
    ModelUpdate v2 = publish(registry, "v2", model, split, 1, Map.of("valid_rmse", 1.5));

    var provider = new RegistryModelProvider(dir.toUri().toString(), "v1", Device.CPU, 1);
    try (ScoringModel serving = provider.open(v2, 64)) {
      // The monitors meet v2 right after the swap: its reference comes from the load, not from
      // another read of the registry (here, gone).
      Files.delete(dir.resolve("v2").resolve(ModelRegistry.MANIFEST_FILE));
      assertThat(provider.reference("v2").rmse()).isEqualTo(1.5);
    }
    // v1 was never loaded here: its manifest is read.
    assertThat(provider.reference("v1").rmse()).isEqualTo(1.25);
    Files.delete(dir.resolve("v1").resolve(ModelRegistry.MANIFEST_FILE));
    assertThatThrownBy(() -> provider.reference("v1"))
        .hasMessageContaining("v1")
        .hasMessageContaining("missing");
  }

  @Test
  void worseCandidateIsRejectedOnItsLabelledGoldenRowsAndABetterOneServes(@TempDir Path dir)
      throws Exception {
    Split split = timeSplit(30_000);
    ModelConfig cfg = ModelConfig.builder().embeddingDim(8).hiddenLayers(16).epochs(3).build();
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    List<Rating> shuffled = new ArrayList<>(split.train());
    List<Float> labels = new ArrayList<>(shuffled.stream().map(Rating::rating).toList());
    java.util.Collections.shuffle(labels, new Random(1));
    for (int i = 0; i < shuffled.size(); i++) {
      Rating r = shuffled.get(i);
      shuffled.set(i, new Rating(r.userId(), r.movieId(), r.timestamp(), labels.get(i)));
    }
    ModelUpdate serving =
        publish(
            registry,
            "v1",
            train(split.train(), split, cfg.toBuilder().epochs(1).build()),
            split,
            0);
    ModelUpdate noise = publish(registry, "v2", train(shuffled, split, cfg), split, 1);
    ModelUpdate better = publish(registry, "v3", train(split.train(), split, cfg), split, 2);

    var provider = new RegistryModelProvider(dir.toUri().toString(), "v1", Device.CPU, 1);
    try (var h =
        new TwoInputStreamOperatorTestHarness<ScoringRequest, ModelUpdate, Prediction>(
            new BatchScoringOperator(provider, 64, 20, 0.02))) {
      h.open();
      var op = (BatchScoringOperator) h.getOperator();
      long t = 0;
      for (ModelUpdate u : List.of(noise, better)) {
        h.processElement2(new StreamRecord<>(u));
        while (op.isLoading()) {
          Thread.sleep(2);
          h.setProcessingTime(t += 25);
        }
      }
      assertThat(op.servingVersion()).isEqualTo("v3");
      List<MonitorReport> reports = new ArrayList<>();
      h.getSideOutput(BatchScoringOperator.MONITORING).forEach(r -> reports.add(r.getValue()));
      assertThat(reports).extracting(MonitorReport::getKind).containsExactly("rejection", "swap");
      assertThat(reports.get(0).getModelVersion()).isEqualTo("v2");
      assertThat(reports.get(0).getMessage()).contains("gate").contains("worse than serving v1");
    }
    assertThat(serving.getVersion()).isEqualTo("v1");
  }

  /** A time split of {@code ratings} synthetic ratings. */
  private static Split timeSplit(int ratings) {
    return Splits.byTime(
        new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(ratings))
            .generate()
            .ratings());
  }

  private static RankingModel train(List<Rating> rows, Split split, ModelConfig cfg) {
    return new Trainer().train(rows, split.valid(), cfg, TrainingListener.NONE);
  }

  private static ModelUpdate publish(
      ModelRegistry registry, String version, RankingModel m, Split split, int order)
      throws Exception {
    return publish(registry, version, m, split, order, Map.of());
  }

  private static ModelUpdate publish(
      ModelRegistry registry,
      String version,
      RankingModel m,
      Split split,
      int order,
      Map<String, Double> metrics)
      throws Exception {
    BundleRef ref = Bundles.exportAndPublish(registry, m, version, null, split.valid(), metrics);
    Manifest manifest = registry.load(version).manifest();
    return ModelUpdate.newBuilder()
        .setVersion(version)
        .setBundleUri(ref.uri().toString())
        .setSha256(ref.sha256())
        .setCreatedAt(Instant.parse(manifest.createdAt()).toEpochMilli() + order)
        .build();
  }
}
