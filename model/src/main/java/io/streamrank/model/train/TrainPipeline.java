package io.streamrank.model.train;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.model.Metrics;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.model.onnx.OnnxExporter;
import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Split, train, evaluate, export and publish: what {@code ./streamrank train} runs. The bundle's
 * manifest carries the hyperparameters, the metrics of the report, reference histograms of the
 * validation predictions and ratings, and a golden set.
 */
public final class TrainPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(TrainPipeline.class);

  private final ModelRegistry registry;
  private final TrainingListener listener;
  private final StreamingFeatures features;

  /** A pipeline publishing to a registry at {@code registryUri}. */
  public TrainPipeline(String registryUri) {
    this(new ModelRegistry(registryUri), TrainingListener.NONE);
  }

  /**
   * A pipeline publishing to {@code registry}.
   *
   * @param listener sees every epoch (progress output, pruning)
   */
  public TrainPipeline(ModelRegistry registry, TrainingListener listener) {
    this(registry, listener, null);
  }

  private TrainPipeline(
      ModelRegistry registry, TrainingListener listener, StreamingFeatures features) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.features = features;
  }

  /**
   * This pipeline training with streaming features: every row's features are computed point-in-time
   * over all the ratings given to {@link #run} (each from strictly earlier ratings, as the stream
   * would have them), so validation and test are prequential. The configuration must then have
   * {@code numFeatures == StreamingFeatures.COUNT}.
   */
  public TrainPipeline withStreamingFeatures(StreamingFeatures definition) {
    return new TrainPipeline(registry, listener, Objects.requireNonNull(definition, "definition"));
  }

  /** Runs the pipeline without a parent version. */
  public TrainReport run(List<Rating> ratings, SplitKind split, ModelConfig cfg, String version)
      throws IOException {
    return run(ratings, split, cfg, version, null);
  }

  /**
   * Runs the pipeline. The random split is seeded with {@link ModelConfig#seed()}.
   *
   * @param parentVersion the version this one replaces, or null
   * @throws IOException when the registry cannot be written
   */
  public TrainReport run(
      List<Rating> ratings, SplitKind split, ModelConfig cfg, String version, String parentVersion)
      throws IOException {
    int wantFeatures = features == null ? 0 : StreamingFeatures.COUNT;
    if (cfg.numFeatures() != wantFeatures) {
      throw new IllegalArgumentException(
          "numFeatures must be "
              + wantFeatures
              + (features == null
                  ? " without streaming features"
                  : " with streaming features " + StreamingFeatures.NAMES)
              + ", got "
              + cfg.numFeatures());
    }
    long start = System.nanoTime();
    Split s = split == SplitKind.TIME ? Splits.byTime(ratings) : Splits.random(ratings, cfg.seed());
    float[][] trainF = features == null ? null : features.pointInTime(ratings, s.train());
    float[][] validF = features == null ? null : features.pointInTime(ratings, s.valid());
    float[][] testF = features == null ? null : features.pointInTime(ratings, s.test());
    int[] epochs = {0};
    RankingModel model =
        new Trainer()
            .train(
                s.train(),
                trainF,
                s.valid(),
                validF,
                cfg,
                (e, tr, va) -> {
                  epochs[0] = e;
                  return listener.onEpoch(e, tr, va);
                });
    double trainSeconds = (System.nanoTime() - start) / 1e9;
    double validRmse =
        s.valid().isEmpty()
            ? Double.NaN
            : Metrics.rmse(
                Metrics.predict(model, s.valid(), validF),
                Metrics.labels(s.valid()),
                s.valid().size());
    double testRmse = Double.NaN;
    double testMae = Double.NaN;
    double ndcg = Double.NaN;
    double popularity = Double.NaN;
    if (!s.test().isEmpty()) {
      float[] pred = Metrics.predict(model, s.test(), testF);
      float[] y = Metrics.labels(s.test());
      testRmse = Metrics.rmse(pred, y, y.length);
      testMae = Metrics.mae(pred, y, y.length);
      ndcg = Metrics.ndcg(s.test(), pred, 10);
      popularity = Metrics.popularityNdcg(s.train(), s.test(), 10);
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("valid_rmse", validRmse);
    metrics.put("test_rmse", testRmse);
    metrics.put("test_mae", testMae);
    metrics.put("test_ndcg10", ndcg);
    metrics.put("popularity_ndcg10", popularity);
    metrics.put("train_rows", (double) s.train().size());

    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (Rating r : s.train()) {
      min = Math.min(min, r.timestamp());
      max = Math.max(max, r.timestamp());
    }
    Map<String, String> extra = new LinkedHashMap<>();
    extra.put("split", split.name().toLowerCase(java.util.Locale.ROOT));
    if (parentVersion != null) {
      extra.put("parent_version", parentVersion);
    }
    if (features != null) {
      extra.put("features", String.join(",", StreamingFeatures.NAMES));
    }
    byte[] onnx = new OnnxExporter().export(model, version, extra);
    Manifest manifest =
        Bundles.manifest(
            model,
            onnx,
            version,
            parentVersion,
            Manifest.DataWindow.ofEpochSeconds(min, max),
            metrics,
            s.valid(),
            validF,
            features == null ? null : features.toMap());
    BundleRef ref = registry.publish(onnx, manifest);
    double wall = (System.nanoTime() - start) / 1e9;
    TrainReport report =
        new TrainReport(
            version,
            split,
            validRmse,
            testRmse,
            testMae,
            ndcg,
            popularity,
            s.train().size(),
            s.valid().size(),
            s.test().size(),
            epochs[0],
            trainSeconds,
            wall,
            ref);
    LOG.info("trained {}: {}", version, report.toJson());
    return report;
  }
}
