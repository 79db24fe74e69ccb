package io.streamrank.local;

import io.streamrank.model.ModelConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./streamrank evaluate --prequential}: see {@link PrequentialEvaluation}. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Prequential evaluation through the real streaming job on the embedded cluster: an initial"
          + " model trained on the first 60%% of the time range, the last 40%% replayed in time order"
          + " and each event scored before its rating is seen.",
      "Prints the prequential RMSE of four variants: static, retraining (drift-triggered, or"
          + " scheduled with --retrain-every; the demo's retrain loop), features (streaming features from the job's keyed state),"
          + " features+retraining; on request also features+fold-in and"
          + " features+fold-in+retraining (the fold-in correction added to every score)."
    })
final class EvaluateCommand implements Callable<Integer> {
  @CommandLine.Mixin StreamrankCli.DataOptions data = new StreamrankCli.DataOptions();

  @Option(
      names = "--prequential",
      required = true,
      description = "Replay the data in time order, scoring each event before its label.")
  boolean prequential;

  @Option(names = "--out", paramLabel = "FILE", description = "Write the results as JSON.")
  Path out;

  @Option(
      names = "--variants",
      split = ",",
      defaultValue = "static,retraining,features,features+retraining",
      description = "Variants to run, in order (default: ${DEFAULT-VALUE}).")
  List<String> variants;

  @Option(
      names = "--rate",
      defaultValue = "1000",
      description =
          "Events per second of the replay; retrained versions must be ready while the stream"
              + " still flows. 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--limit",
      defaultValue = "0",
      description = "Replay at most this many events (0: the whole last 40%%).")
  int limit;

  @Option(
      names = "--retrain-budget",
      defaultValue = "4",
      description = "Configurations the retrain job tunes per request (default: ${DEFAULT-VALUE}).")
  int retrainBudget;

  @Option(
      names = "--rmse-increase",
      defaultValue = "0.05",
      description =
          "Retrain trigger: relative rise of prequential RMSE over the serving version's"
              + " validation RMSE, for two windows (default: ${DEFAULT-VALUE}).")
  double rmseIncrease;

  @Option(
      names = "--retrain-every",
      paramLabel = "DAYS",
      defaultValue = "0",
      description =
          "Retrain trigger: also request a retrain every DAYS of event time since the serving"
              + " version started, on every rating up to then (0: drift and error signals only;"
              + " default: ${DEFAULT-VALUE}).")
  double retrainEveryDays;

  @Option(
      names = "--epochs",
      description = "Maximum epochs of the initial model (default: the library default).")
  Integer epochs;

  @Option(
      names = "--drain-timeout",
      defaultValue = "120",
      description = "Seconds to wait for predictions after the replay (default: ${DEFAULT-VALUE}).")
  long drainSeconds;

  @Override
  public Integer call() throws Exception {
    StreamrankCli.require(rate >= 0, "--rate must be >= 0");
    StreamrankCli.require(limit >= 0, "--limit must be >= 0");
    StreamrankCli.requireWritableFile("--out", out);
    StreamrankCli.require(retrainBudget > 0, "--retrain-budget must be > 0");
    StreamrankCli.require(rmseIncrease > 0, "--rmse-increase must be > 0");
    StreamrankCli.require(retrainEveryDays >= 0, "--retrain-every must be >= 0");
    StreamrankCli.require(epochs == null || epochs > 0, "--epochs must be > 0");
    StreamrankCli.require(drainSeconds > 0, "--drain-timeout must be > 0");
    List<PrequentialEvaluation.Variant> chosen = new ArrayList<>();
    for (String v : variants) {
      chosen.add(variant(v));
    }
    ModelConfig cfg = ModelConfig.defaults();
    if (epochs != null) {
      cfg = cfg.toBuilder().epochs(epochs).build();
    }
    var report =
        new PrequentialEvaluation(System.out)
            .run(
                new PrequentialEvaluation.Settings(
                    data.data,
                    data.synthetic(),
                    chosen,
                    rate,
                    limit,
                    retrainBudget,
                    rmseIncrease,
                    Duration.ofSeconds(Math.round(retrainEveryDays * 86_400)),
                    cfg,
                    Duration.ofSeconds(drainSeconds)));
    if (out != null) {
      ThroughputBenchmark.write(report, out);
      System.out.println("results written to " + out);
    }
    return 0;
  }

  private static PrequentialEvaluation.Variant variant(String name) {
    for (PrequentialEvaluation.Variant v : PrequentialEvaluation.Variant.values()) {
      if (v.label().equals(name.trim().toLowerCase(Locale.ROOT))) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "--variants: unknown variant '"
            + name
            + "', expected one of "
            + java.util.Arrays.stream(PrequentialEvaluation.Variant.values())
                .map(PrequentialEvaluation.Variant::label)
                .toList());
  }
}
