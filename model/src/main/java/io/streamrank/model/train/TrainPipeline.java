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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Split, train, evaluate, export and publish: what {@code ./streamrank train} runs.
 *
 * <p>Training first runs with early stopping on the validation slice, which finds the best epoch
 * count. By default ({@link #withRefitOnTrainAndValid(boolean)}) the model is then trained again
 * from scratch on train + validation for exactly that many epochs, with the same hyperparameters
 * and seed ("train the best trial to completion"); that refit model is the one evaluated on the
 * test slice, exported and published. The reported validation RMSE stays the early-stopped model's
 * (the refit model has seen the validation rows).
 *
 * <p>The bundle's manifest carries the hyperparameters of the published model, the metrics of the
 * report, reference histograms of its predictions and of the ratings, and a golden set. They come
 * from rows the published model has not trained on: the validation rows without refit, the test
 * rows with it (so the hot-swap gate, which compares models on the labelled golden rows, is not
 * handed rows the candidate was fitted to).
 */
public final class TrainPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(TrainPipeline.class);

  private final ModelRegistry registry;
  private final TrainingListener listener;
  private final StreamingFeatures features;
  private final boolean refit;

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
    this(registry, listener, null, true);
  }

  private TrainPipeline(
      ModelRegistry registry,
      TrainingListener listener,
      StreamingFeatures features,
      boolean refit) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.features = features;
    this.refit = refit;
  }

  /**
   * This pipeline training with streaming features: every row's features are computed point-in-time
   * over all the ratings given to {@link #run} (each from strictly earlier ratings, as the stream
   * would have them), so validation and test are prequential. The configuration must then have
   * {@code numFeatures == StreamingFeatures.COUNT}.
   */
  public TrainPipeline withStreamingFeatures(StreamingFeatures definition) {
    return new TrainPipeline(
        registry, listener, Objects.requireNonNull(definition, "definition"), refit);
  }

  /**
   * This pipeline with or without the refit (default: with). With it, after early stopping has
   * found the best epoch count E on the validation slice, a fresh model is trained on train +
   * validation for E epochs (same hyperparameters, same seed, no early stopping) and that model is
   * tested and published. Without validation rows there is nothing to refit and the early-stopped
   * model is used either way. The listener sees only the early-stopped run's epochs.
   *
   * <p>With streaming features the merged rows keep their point-in-time features: each row's values
   * come from the ratings strictly earlier than it, whichever slice it is in, so merging the slices
   * adds no leakage.
   */
  public TrainPipeline withRefitOnTrainAndValid(boolean enabled) {
    return new TrainPipeline(registry, listener, features, enabled);
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
    int[] bestEpoch = {0};
    double[] bestValid = {Double.POSITIVE_INFINITY};
    RankingModel earlyStopped =
        new Trainer()
            .train(
                s.train(),
                trainF,
                s.valid(),
                validF,
                cfg,
                (e, tr, va) -> {
                  epochs[0] = e;
                  // The trainer keeps the first epoch with the lowest validation RMSE; so do we.
                  if (va < bestValid[0]) {
                    bestValid[0] = va;
                    bestEpoch[0] = e;
                  }
                  return listener.onEpoch(e, tr, va);
                });
    double validRmse =
        s.valid().isEmpty()
            ? Double.NaN
            : Metrics.rmse(
                Metrics.predict(earlyStopped, s.valid(), validF),
                Metrics.labels(s.valid()),
                s.valid().size());

    boolean refitted = refit && !s.valid().isEmpty() && bestEpoch[0] > 0;
    RankingModel model = earlyStopped;
    List<Rating> fitRows = s.train();
    if (refitted) {
      fitRows = concat(s.train(), s.valid());
      float[][] fitF = features == null ? null : concat(trainF, validF);
      ModelConfig refitCfg = cfg.toBuilder().epochs(bestEpoch[0]).build();
      LOG.info(
          "refitting on train + valid ({} rows) for {} epochs (early stopping ran {})",
          fitRows.size(),
          bestEpoch[0],
          epochs[0]);
      model =
          new Trainer()
              .train(
                  fitRows,
                  fitF,
                  List.of(),
                  features == null ? null : new float[0][],
                  refitCfg,
                  TrainingListener.NONE);
    }
    double trainSeconds = (System.nanoTime() - start) / 1e9;
    double testRmse = Double.NaN;
    double testMae = Double.NaN;
    double ndcg = Double.NaN;
    double popularity = Double.NaN;
    double earlyStoppedTestRmse = Double.NaN;
    if (!s.test().isEmpty()) {
      float[] pred = Metrics.predict(model, s.test(), testF);
      float[] y = Metrics.labels(s.test());
      testRmse = Metrics.rmse(pred, y, y.length);
      testMae = Metrics.mae(pred, y, y.length);
      ndcg = Metrics.ndcg(s.test(), pred, 10);
      // The baseline counts popularity on the same rows the evaluated model was trained on.
      popularity = Metrics.popularityNdcg(fitRows, s.test(), 10);
      earlyStoppedTestRmse =
          refitted
              ? Metrics.rmse(Metrics.predict(earlyStopped, s.test(), testF), y, y.length)
              : testRmse;
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("valid_rmse", validRmse);
    metrics.put("test_rmse", testRmse);
    metrics.put("test_mae", testMae);
    metrics.put("test_ndcg10", ndcg);
    metrics.put("popularity_ndcg10", popularity);
    metrics.put("train_rows", (double) s.train().size());
    metrics.put("refit", refitted ? 1.0 : 0.0);
    metrics.put("refit_epochs", (double) (refitted ? bestEpoch[0] : 0));
    metrics.put("fit_rows", (double) fitRows.size());
    metrics.put("early_stopped_test_rmse", earlyStoppedTestRmse);

    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (Rating r : fitRows) {
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
    if (refitted) {
      extra.put("refit", "train+valid, " + bestEpoch[0] + " epochs");
    }
    byte[] onnx = new OnnxExporter().export(model, version, extra);
    // Histograms and golden rows from rows the published model has not trained on.
    boolean fromTest = refitted && !s.test().isEmpty();
    Manifest manifest =
        Bundles.manifest(
            model,
            onnx,
            version,
            parentVersion,
            Manifest.DataWindow.ofEpochSeconds(min, max),
            metrics,
            fromTest ? s.test() : s.valid(),
            fromTest ? testF : validF,
            features == null ? null : features.toMap(),
            fitRows);
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
            refitted,
            refitted ? bestEpoch[0] : 0,
            earlyStoppedTestRmse,
            trainSeconds,
            wall,
            ref);
    LOG.info("trained {}: {}", version, report.toJson());
    return report;
  }

  static List<Rating> concat(List<Rating> a, List<Rating> b) {
    List<Rating> out = new ArrayList<>(a.size() + b.size());
    out.addAll(a);
    out.addAll(b);
    return out;
  }

  static float[][] concat(float[][] a, float[][] b) {
    float[][] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
