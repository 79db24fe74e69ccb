package io.streamrank.local;

import io.streamrank.datasets.Rating;
import io.streamrank.model.Metrics;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.onnx.Device;
import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.streaming.ModelProvider;
import io.streamrank.streaming.RegistryModelProvider;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Trains the model the demo starts with and publishes it to a registry. */
final class InitialModel {
  private InitialModel() {}

  /**
   * The published initial version.
   *
   * @param version its version name
   * @param bundle where it was published
   * @param metrics its offline figures
   */
  record Trained(String version, BundleRef bundle, Map<String, Object> metrics) {
    /** Opens this version from the registry on the TaskManager, on the CPU. */
    ModelProvider provider() {
      return new RegistryModelProvider(
          Path.of(bundle.uri()).getParent().toUri().toString(), version, Device.CPU, 1);
    }
  }

  /**
   * What the benchmarks start from: synthetic ratings split by time (train before half the range,
   * validation to 60%, the rest for streaming), and a 3-epoch default model published to a
   * temporary registry.
   *
   * @param split the synthetic ratings' split
   * @param registry the temporary registry directory
   * @param config the model's configuration
   * @param model the published initial version
   */
  record Fixture(
      io.streamrank.datasets.Split split, Path registry, ModelConfig config, Trained model) {}

  static Fixture benchmarkFixture(int ratings) throws Exception {
    List<Rating> all =
        new io.streamrank.datasets.SyntheticGenerator(
                io.streamrank.datasets.SyntheticGenerator.Options.defaults().withRatings(ratings))
            .generate()
            .ratings();
    io.streamrank.datasets.Split split = io.streamrank.datasets.Splits.byTime(all, 0.5, 0.6);
    Path dir = TempDirs.deletedOnExit("streamrank-bench-registry-");
    ModelConfig cfg = ModelConfig.defaults().toBuilder().epochs(3).build();
    Trained model =
        trainAndPublish(
            split.train(),
            split.valid(),
            dir,
            cfg,
            new PrintStream(PrintStream.nullOutputStream()));
    return new Fixture(split, dir, cfg, model);
  }

  static Trained trainAndPublish(
      List<Rating> train, List<Rating> valid, Path registryDir, PrintStream out) throws Exception {
    return trainAndPublish(train, valid, registryDir, ModelConfig.defaults(), out);
  }

  static Trained trainAndPublish(
      List<Rating> train, List<Rating> valid, Path registryDir, ModelConfig cfg, PrintStream out)
      throws Exception {
    long start = System.nanoTime();
    RankingModel model =
        new Trainer()
            .train(
                train,
                valid,
                cfg,
                (epoch, trainRmse, validRmse) -> {
                  out.printf(
                      "  epoch %2d  train RMSE %.4f  valid RMSE %.4f%n",
                      epoch, trainRmse, validRmse);
                  return true;
                });
    double validRmse = Metrics.rmse(model, valid);
    double seconds = (System.nanoTime() - start) / 1e9;
    String version =
        "v"
            + ZonedDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    BundleRef ref =
        Bundles.exportAndPublish(
            new ModelRegistry(registryDir.toUri().toString()),
            model,
            version,
            null,
            train,
            valid,
            Map.of("valid_rmse", validRmse, "train_rows", (double) train.size()));
    out.printf(
        "initial model %s: valid RMSE %.4f, trained in %.1f s, published to %s%n",
        version, validRmse, seconds, ref.uri());
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("version", version);
    metrics.put("valid_rmse", validRmse);
    metrics.put("train_rows", train.size());
    metrics.put("train_seconds", seconds);
    return new Trained(version, ref, metrics);
  }
}
