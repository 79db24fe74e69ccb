package io.streamrank.local;

import io.streamrank.model.ModelConfig;
import io.streamrank.retrain.FlinkTrialExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
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

  @Option(
      names = "--flink-rest",
      paramLabel = "URL",
      description =
          "A running Flink cluster's REST endpoint (e.g. http://jobmanager:8081): each search runs"
              + " there as one tuning job of --parallelism worker tasks, which connect back to"
              + " this process at --tuner-host. Default: an in-process cluster.")
  URI flinkRest;

  @Option(
      names = "--tuning-jar",
      paramLabel = "JAR",
      description =
          "The retrain job's jar, shipped with each tuning job on --flink-rest (default:"
              + " retrain-job/target/streamrank-retrain-job-*-job.jar).")
  Path tuningJar;

  @Option(
      names = "--tuner-host",
      paramLabel = "HOST",
      description =
          "This process's address as the TaskManagers of --flink-rest reach it (default: this"
              + " host's name).")
  String tunerHost;

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

  /**
   * Where the trials run: an in-process cluster, or the cluster at {@code --flink-rest}.
   *
   * @throws IllegalArgumentException naming a missing tuning jar or an endpoint without a port
   */
  FlinkTrialExecutor executor() throws Exception {
    if (flinkRest == null) {
      return FlinkTrialExecutor.local(parallelism);
    }
    Path jar = tuningJar != null ? tuningJar : defaultTuningJar();
    String host = tunerHost != null ? tunerHost : InetAddress.getLocalHost().getHostName();
    return FlinkTrialExecutor.onCluster(flinkRest, jar, parallelism, host);
  }

  private static Path defaultTuningJar() throws IOException {
    Path target = Path.of("retrain-job", "target");
    if (Files.isDirectory(target)) {
      try (Stream<Path> files = Files.list(target)) {
        Optional<Path> jar =
            files.filter(f -> f.getFileName().toString().endsWith("-job.jar")).findFirst();
        if (jar.isPresent()) {
          return jar.get();
        }
      }
    }
    return target.resolve("streamrank-retrain-job-VERSION-job.jar");
  }

  /** The library defaults with this epoch budget: the base every searched configuration varies. */
  ModelConfig baseConfig() {
    return ModelConfig.defaults().toBuilder().epochs(epochs).build();
  }
}
