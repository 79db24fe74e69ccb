package io.streamrank.local;

import io.streamrank.datasets.RatingData;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.model.train.SplitKind;
import io.streamrank.model.train.TrainPipeline;
import io.streamrank.model.train.TrainReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./streamrank train}: split, train, evaluate, export and publish one model version. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Trains the ranking model, prints validation and test RMSE, test MAE and NDCG@10 (with the"
          + " global-popularity baseline), exports ONNX and writes a bundle to the registry.",
      "time split: 60/20/20 over the timestamp range; random split: 70/10/20 with the seed."
    })
final class TrainCommand implements Callable<Integer> {
  @CommandLine.Mixin StreamrankCli.DataOptions data = new StreamrankCli.DataOptions();

  @Option(
      names = "--split",
      defaultValue = "time",
      description = "time or random (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "registry",
      description = "Registry directory the bundle is written to (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--metrics", paramLabel = "FILE", description = "Write the metrics as JSON.")
  Path metrics;

  @Option(
      names = "--version-name",
      paramLabel = "V",
      description = "Version name (default: v<UTC time>).")
  String version;

  @Option(names = "--epochs", description = "Maximum epochs (default: the library default).")
  Integer epochs;

  @Option(names = "--learning-rate", description = "Learning rate (default: the library default).")
  Float learningRate;

  @Option(names = "--threads", description = "Training threads (default: every core).")
  Integer threads;

  @Option(
      names = "--features",
      description =
          "Train with the streaming features (a user's and a movie's running rating statistics,"
              + " point in time), as the stream computes them.")
  boolean features;

  @Option(
      names = "--no-refit",
      description =
          "Evaluate the early-stopped model instead of refitting it on train+validation for the"
              + " epochs early stopping chose.")
  boolean noRefit;

  @Override
  public Integer call() throws Exception {
    StreamrankCli.requireWritableDir("--out", out);
    SplitKind kind;
    try {
      kind = SplitKind.valueOf(split.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--split must be time or random, got '" + split + "'");
    }
    ModelConfig.Builder cfg = ModelConfig.defaults().toBuilder();
    if (epochs != null) {
      cfg.epochs(epochs);
    }
    if (learningRate != null) {
      cfg.learningRate(learningRate);
    }
    if (threads != null) {
      cfg.threads(threads);
    }
    RatingData d = data.load();
    d.malformedSummary().ifPresent(System.err::println);
    String v =
        version != null
            ? version
            : "v"
                + ZonedDateTime.now(ZoneOffset.UTC)
                    .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    System.out.printf(
        "training on %s (%,d ratings), %s split%n", d.source(), d.ratings().size(), split);
    TrainPipeline pipeline =
        new TrainPipeline(
            new io.streamrank.model.registry.ModelRegistry(out.toAbsolutePath().toUri().toString()),
            (epoch, trainRmse, validRmse) -> {
              System.out.printf(
                  "  epoch %2d  train RMSE %.4f  valid RMSE %.4f%n", epoch, trainRmse, validRmse);
              return true;
            });
    if (features) {
      pipeline = pipeline.withStreamingFeatures(StreamingFeatures.DEFAULT);
      cfg.numFeatures(StreamingFeatures.COUNT);
    }
    pipeline = pipeline.withRefitOnTrainAndValid(!noRefit);
    TrainReport r = pipeline.run(d.ratings(), kind, cfg.build(), v);
    if (r.refit()) {
      System.out.printf(
          "refit on train+valid for %d epochs (early-stopped model's test RMSE %.4f)%n",
          r.refitEpochs(), r.earlyStoppedTestRmse());
    }
    System.out.printf(
        "valid RMSE %.4f | test RMSE %.4f | test MAE %.4f | NDCG@10 %.4f (popularity %.4f) | %.1f s%n",
        r.validRmse(),
        r.testRmse(),
        r.testMae(),
        r.testNdcg10(),
        r.popularityNdcg10(),
        r.wallSeconds());
    System.out.println("bundle: " + r.bundle().uri());
    if (metrics != null) {
      Files.writeString(metrics, r.toJson());
      System.out.println("metrics written to " + metrics);
    }
    return 0;
  }
}
