package io.streamrank.local;

import io.streamrank.model.ModelConfig;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** How a hyperparameter search runs: {@code tune} and {@code retrain} share these options. */
final class SearchOptions {
  @Option(
      names = "--algo",
      defaultValue = "tpe",
      description = "grid, random or tpe (default: ${DEFAULT-VALUE}).")
  String algo;

  @Option(
      names = "--pruner",
      defaultValue = "asha",
      description =
          "none, sha (synchronous successive halving: rung by rung) or asha (asynchronous: a free"
              + " slot promotes from the top third of a rung or starts a new configuration)"
              + " (default: ${DEFAULT-VALUE}).")
  String pruner;

  @Option(
      names = "--epochs",
      defaultValue = "18",
      description = "Epoch budget of a full trial (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--parallelism",
      defaultValue = "2",
      description = "Trials run at once (default: ${DEFAULT-VALUE}).")
  int parallelism;

  /** Checks the values, naming the bad option. */
  void validate() {
    StreamrankCli.require(
        List.of("grid", "random", "tpe").contains(algo.toLowerCase(Locale.ROOT)),
        "--algo must be grid, random or tpe, got '" + algo + "'");
    StreamrankCli.require(
        List.of("none", "sha", "asha").contains(pruner.toLowerCase(Locale.ROOT)),
        "--pruner must be none, sha or asha, got '" + pruner + "'");
    StreamrankCli.require(epochs > 0, "--epochs must be > 0, got " + epochs);
    StreamrankCli.require(parallelism > 0, "--parallelism must be > 0, got " + parallelism);
  }

  /** The library defaults with this epoch budget: the base every searched configuration varies. */
  ModelConfig baseConfig() {
    return ModelConfig.defaults().toBuilder().epochs(epochs).build();
  }
}
