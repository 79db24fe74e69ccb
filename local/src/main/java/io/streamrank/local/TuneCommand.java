package io.streamrank.local;

import io.streamrank.model.ModelConfig;
import io.streamrank.retrain.DataSpec;
import io.streamrank.retrain.FlinkTrialExecutor;
import io.streamrank.retrain.SearchSpace;
import io.streamrank.retrain.Tuner;
import io.streamrank.retrain.TuningReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./streamrank tune}: the retrain job's tuning pipeline, offline. */
@Command(
    name = "tune",
    mixinStandardHelpOptions = true,
    description = {
      "Tunes hyperparameters (learning rate, L2, embedding size, hidden layers, batch size) with"
          + " parallel trials run as a Flink batch job, trains the best to completion on"
          + " train+validation and prints its validation and test RMSE next to the library"
          + " defaults'.",
      "--out DIR writes tuning.json (best, best_valid_rmse, test_rmse, default_valid_rmse, trials"
          + " with curves and status, wall_seconds; setup_seconds, the cluster's start, and"
          + " session_start_seconds, its trial workers', before the search) and"
          + " learning_curves.svg."
    })
final class TuneCommand implements Callable<Integer> {
  @CommandLine.Mixin StreamrankCli.DataOptions data = new StreamrankCli.DataOptions();

  @CommandLine.Mixin SearchOptions search = new SearchOptions();

  @Option(
      names = "--split",
      defaultValue = "time",
      description = "time or random (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(
      names = "--budget",
      defaultValue = "12",
      description = "Configurations to try (default: ${DEFAULT-VALUE}).")
  int budget;

  @Option(
      names = "--features",
      arity = "0..1",
      defaultValue = "off",
      fallbackValue = "on",
      paramLabel = "off|on|search",
      description =
          "The streaming features (a user's and a movie's running rating statistics, point in"
              + " time): off (default), on (--features alone), or search (a searched choice; the"
              + " defaults run without them, and once more with them for comparison).")
  String features;

  @Option(names = "--out", paramLabel = "DIR", description = "Write the run's report here.")
  Path out;

  @Override
  public Integer call() throws Exception {
    StreamrankCli.require(budget > 0, "--budget must be > 0");
    search.validate();
    StreamrankCli.requireWritableDir("--out", out);
    StreamrankCli.require(
        List.of("off", "on", "search").contains(features),
        "--features must be off, on or search, got '" + features + "'");
    if (search.flinkRest == null) {
      data.requireReadableHere();
    }
    DataSpec spec =
        (data.data != null
                ? DataSpec.movieLens(data.data, split)
                : DataSpec.synthetic(data.synthetic(), split))
            .withStreamingFeatures(features.equals("on"));
    SearchSpace space =
        features.equals("search")
            ? SearchSpace.defaults().withStreamingFeatures()
            : SearchSpace.defaults();
    ModelConfig base = search.baseConfig();
    long begun = System.nanoTime();
    // In-process, the trials run in this JVM and find the data in DataSpec's cache: read it and
    // compute its features while the cluster starts, not after. A failure here is the trials' own
    // to report. On --flink-rest each TaskManager prepares its own copy.
    if (search.flinkRest == null) {
      CompletableFuture.runAsync(
              () -> {
                spec.load();
                if (features.equals("search")) {
                  spec.withStreamingFeatures(true).load();
                }
              })
          .exceptionally(e -> null);
    }
    try (FlinkTrialExecutor executor = search.executor()) {
      tune(spec, space, base, executor, begun);
    }
    return 0;
  }

  /**
   * @param begun when the command started ({@link System#nanoTime}): the report's {@code
   *     setup_seconds} is the time from then to the search's start (the cluster's start)
   */
  private void tune(
      DataSpec spec, SearchSpace space, ModelConfig base, FlinkTrialExecutor executor, long begun)
      throws Exception {
    Tuner tuner = new Tuner(executor, space, base, System.out::println);
    System.out.printf(
        "tuning on %s, %s split, features %s: %d configurations, %s search, pruner %s, %d epochs,"
            + " %d in parallel%n",
        data.data != null ? data.data : "synthetic data",
        split,
        features,
        budget,
        search.algo,
        search.pruner,
        search.epochs,
        search.parallelism);
    double setupSeconds = (System.nanoTime() - begun) / 1e9;
    Tuner.Outcome o = tuner.tune(spec, budget, search.algo, search.pruner, data.seed);
    System.out.printf(
        "best %s%n  valid RMSE %.4f (library defaults %.4f, %.1f%% better)%n  test RMSE %.4f after"
            + " refit on train+valid (defaults %.4f)%n  workers up in %.1f s, search %.1f s, %.1f s"
            + " in all%n",
        o.best().point(),
        o.best().bestValidRmse(),
        o.defaultValidRmse(),
        100 * (o.defaultValidRmse() - o.best().bestValidRmse()) / o.defaultValidRmse(),
        o.testRmse(),
        o.defaultTestRmse(),
        o.sessionSeconds(),
        o.searchSeconds(),
        o.wallSeconds());
    if (Double.isFinite(o.defaultFeaturesValidRmse())) {
      System.out.printf(
          "  library defaults with the streaming features: valid RMSE %.4f (best %.1f%% better)%n",
          o.defaultFeaturesValidRmse(),
          100
              * (o.defaultFeaturesValidRmse() - o.best().bestValidRmse())
              / o.defaultFeaturesValidRmse());
    }
    if (out != null) {
      Map<String, Object> report = TuningReport.toMap(o, spec, budget, search.algo, search.pruner);
      report.put("setup_seconds", setupSeconds);
      TuningReport.write(out, report, o);
      System.out.println("report written to " + out);
    }
  }
}
