package io.streamrank.local;

import io.streamrank.datasets.DriftScenario;
import io.streamrank.datasets.MovieLens;
import io.streamrank.datasets.RatingData;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The {@code streamrank} command line. */
@Command(
    name = "streamrank",
    mixinStandardHelpOptions = true,
    version = "streamrank 0.1.0",
    description = {
      "Live ranking on Flink and Kafka with ONNX Runtime.",
      "Run a command with --help for its options."
    },
    subcommands = {
      StreamrankCli.DemoCommand.class,
      TrainCommand.class,
      TuneCommand.class,
      RetrainCommand.class,
      EvaluateCommand.class,
      StreamrankCli.ReplayCommand.class,
      PublishCommands.Publish.class,
      PublishCommands.Rollback.class,
      StreamrankCli.BenchSwapCommand.class,
      StreamrankCli.BenchCommand.class,
      ClusterCommand.class,
      RetrainWorkerCommand.class,
      FoldInTableCommand.class,
      CommandLine.HelpCommand.class
    })
public final class StreamrankCli implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(System.out);
    return 2;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with streamrank's error handling: bad options name the option, exit 2. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new StreamrankCli());
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof IllegalArgumentException) {
            commandLine.getErr().println("streamrank: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cl;
  }

  /** Options that pick the data: a MovieLens directory or the synthetic generator. */
  static final class DataOptions {
    @Option(
        names = "--data",
        paramLabel = "DIR",
        description =
            "MovieLens directory (100k u.data, 1M/10M ratings.dat, latest/25M/32M ratings.csv)."
                + " Default: the built-in synthetic generator.")
    Path data;

    @Option(
        names = "--synthetic-ratings",
        defaultValue = "100000",
        description = "Ratings the synthetic generator makes (default: ${DEFAULT-VALUE}).")
    int syntheticRatings;

    @Option(
        names = "--scenario",
        defaultValue = "none",
        description =
            "Synthetic drift scenario: none, taste-shift, new-movies, new-users (default: ${DEFAULT-VALUE}).")
    String scenario;

    @Option(
        names = "--seed",
        defaultValue = "42",
        description = "Synthetic generator seed (default: ${DEFAULT-VALUE}).")
    long seed;

    SyntheticGenerator.Options synthetic() {
      return SyntheticGenerator.Options.defaults()
          .withRatings(syntheticRatings)
          .withScenario(DriftScenario.parse(scenario))
          .withSeed(seed);
    }

    RatingData load() {
      return data != null ? MovieLens.load(data) : new SyntheticGenerator(synthetic()).generate();
    }

    /**
     * Fails now, naming the directory, when --data holds no MovieLens ratings: for commands that
     * read it only after starting a cluster. On a remote cluster the TaskManagers read their own
     * path, so those commands check only when their trials run in this process.
     */
    void requireReadableHere() {
      if (data != null) {
        MovieLens.requireLayout(data);
      }
    }
  }

  @Command(
      name = "demo",
      mixinStandardHelpOptions = true,
      description = {
        "Everything in one process: a KRaft Kafka broker, a Flink MiniCluster (web UI on"
            + " 127.0.0.1:8081), an initial model trained on the first 60%% of the time range,"
            + " the scoring job, and a replay of the last 40%% as a live stream.",
        "Prints a live progress line and a summary; exits 1 if any event was lost or duplicated."
      })
  static final class DemoCommand implements Callable<Integer> {
    @CommandLine.Mixin DataOptions data = new DataOptions();

    @Option(
        names = "--rate",
        defaultValue = "-1",
        description =
            "Events per second; 0 = as fast as possible. Default: as fast as possible, except"
                + " 1000/s with a drift scenario, so the stream is still flowing when the retrained"
                + " version swaps in.")
    double rate;

    @Option(
        names = "--partitions",
        defaultValue = "2",
        description = "Topic partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
        names = "--parallelism",
        defaultValue = "2",
        description = "Flink parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
        names = "--batch-size",
        defaultValue = "256",
        description = "Scoring micro-batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
        names = "--flush-ms",
        defaultValue = "20",
        description = "Longest wait for a micro-batch to fill, ms (default: ${DEFAULT-VALUE}).")
    long flushMs;

    @Option(
        names = "--corrupt",
        defaultValue = "20",
        description =
            "Corrupt records mixed into the stream; each must come out as a dead letter (default: ${DEFAULT-VALUE}).")
    int corrupt;

    @Option(names = "--no-web-ui", description = "Do not serve the Flink web UI.")
    boolean noWebUi;

    @Option(
        names = "--web-port",
        defaultValue = "8081",
        description =
            "Flink web UI port; the next free one up to 8099 when taken (default: ${DEFAULT-VALUE}).")
    int webPort;

    @Option(
        names = "--registry",
        paramLabel = "DIR",
        description = "Model registry directory (default: a temporary one).")
    Path registry;

    @Option(names = "--summary", paramLabel = "FILE", description = "Write the summary as JSON.")
    Path summary;

    @Option(
        names = "--report",
        paramLabel = "FILE",
        description =
            "Write an HTML report with charts over event time (rolling RMSE, drift against the"
                + " thresholds, latency percentiles, swaps); it opens in a browser offline.")
    Path report;

    @Option(
        names = "--drain-timeout",
        defaultValue = "120",
        description = "Seconds to wait for outputs after the replay (default: ${DEFAULT-VALUE}).")
    long drainSeconds;

    @Option(
        names = "--retrain-budget",
        defaultValue = "4",
        description =
            "Configurations the retrain job tunes when the monitors ask for a new version; 0 turns"
                + " retraining off (default: ${DEFAULT-VALUE}).")
    int retrainBudget;

    @Override
    public Integer call() throws Exception {
      require(partitions > 0, "--partitions must be > 0");
      require(parallelism > 0, "--parallelism must be > 0");
      require(batchSize > 0, "--batch-size must be > 0");
      require(flushMs > 0, "--flush-ms must be > 0");
      require(corrupt >= 0, "--corrupt must be >= 0");
      require(rate >= 0 || rate == -1, "--rate must be >= 0");
      double effectiveRate =
          rate >= 0 ? rate : data.data == null && !data.scenario.equals("none") ? 1000 : 0;
      require(retrainBudget >= 0, "--retrain-budget must be >= 0");
      requireWritableFile("--report", report);
      requireWritableFile("--summary", summary);
      DemoSummary s =
          new Demo(System.out)
              .run(
                  new Demo.Settings(
                      data.data,
                      data.synthetic(),
                      effectiveRate,
                      partitions,
                      parallelism,
                      batchSize,
                      flushMs,
                      corrupt,
                      !noWebUi,
                      webPort,
                      registry,
                      Duration.ofSeconds(drainSeconds),
                      summary,
                      retrainBudget,
                      report));
      return s.lostOrDuplicated() ? 1 : 0;
    }
  }

  @Command(
      name = "replay",
      mixinStandardHelpOptions = true,
      description =
          "Replays a dataset into a Kafka cluster in timestamp order: each rating as an event on"
              + " events, then its label on ratings.")
  static final class ReplayCommand implements Callable<Integer> {
    @CommandLine.Mixin DataOptions data = new DataOptions();

    @Option(
        names = "--bootstrap-servers",
        required = true,
        description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--topic-prefix", defaultValue = "", description = "Prefix of the topic names.")
    String prefix;

    @Option(
        names = KafkaClientFile.OPTION,
        paramLabel = "FILE",
        description =
            "Kafka client properties file (security.protocol, sasl.mechanism, sasl.jaas.config,"
                + " ...), e.g. for the docker-compose cluster's producer user.")
    Path kafkaProperties;

    @Option(
        names = "--rate",
        defaultValue = "0",
        description = "Events per second; 0 = as fast as possible (default).")
    double rate;

    @Override
    public Integer call() {
      RatingData d = data.load();
      d.malformed().forEach(m -> System.err.println("malformed: " + m));
      java.util.Properties client = KafkaClientFile.load(kafkaProperties, bootstrap);
      try (ReplayProducer p = new ReplayProducer(client, Topics.withPrefix(prefix))) {
        long start = System.nanoTime();
        long n = p.replay(d.ratings(), rate, "ev-" + System.currentTimeMillis() + "-");
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(
            "replayed %,d events (+ labels) from %s in %.1f s (%,.0f events/s); %d malformed lines%n",
            n, d.source(), secs, n / secs, d.malformed().size());
      }
      return 0;
    }
  }

  @Command(
      name = "bench-swap",
      mixinStandardHelpOptions = true,
      description = {
        "Measures a hot swap: events at a fixed rate, a new version announced halfway; prints p99"
            + " latency around the swap over steady-state p99, and the longest gap between"
            + " predictions around the swap over steady-state p99."
      })
  static final class BenchSwapCommand implements Callable<Integer> {
    @Option(
        names = "--rate",
        defaultValue = "5000",
        description = "Events per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(
        names = "--seconds",
        defaultValue = "40",
        description = "Stream length (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(
        names = "--window",
        defaultValue = "10",
        description = "Width of the window around the swap, s (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(
        names = "--parallelism",
        defaultValue = "2",
        description = "Flink parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
        names = "--warm-up-seconds",
        defaultValue = "30",
        description =
            "Untimed events at --rate before the measured stream, so the JIT has compiled the"
                + " pipeline first (default: ${DEFAULT-VALUE}; 0 for none).")
    int warmUpSeconds;

    @Mixin JobSettings jobSettings;

    @Option(
        names = "--process-cluster",
        paramLabel = "DIR",
        description =
            "Run the job the production way instead of in this JVM: the broker, a JobManager and"
                + " --parallelism one-slot TaskManagers each in a JVM of its own (as ./streamrank"
                + " cluster starts them; DIR holds their configuration, logs and gc logs), the job"
                + " submitted as its job jar.")
    Path clusterDir;

    @Option(
        names = "--flink-lib",
        defaultValue = "flink-dist/target/flink/lib",
        description = "Flink's lib/ for --process-cluster (default: ${DEFAULT-VALUE}).")
    Path flinkLib;

    @Option(
        names = "--job-jar",
        paramLabel = "JAR",
        description =
            "The job jar for --process-cluster (default: streaming-job/target/*-job.jar).")
    Path jobJar;

    @Option(
        names = "--trace",
        paramLabel = "FILE",
        description =
            "Also write every measured prediction's scored time (epoch ms) and wait in the scoring"
                + " operator (ms) to FILE as CSV, to line the gaps up with a safepoint log"
                + " (docs/swap_gaps.py).")
    Path trace;

    @Override
    public Integer call() throws Exception {
      require(rate > 0, "--rate must be > 0");
      require(seconds > 2 * window, "--seconds must be more than twice --window");
      requireWritableFile("--trace", trace);
      require(parallelism > 0, "--parallelism must be > 0");
      require(warmUpSeconds >= 0, "--warm-up-seconds must be >= 0");
      SwapBenchmark.ClusterLayout cluster = null;
      if (clusterDir != null) {
        Path jar = jobJar != null ? jobJar : ClusterCommand.Up.defaultJobJar();
        require(
            Files.isRegularFile(jar),
            "no job jar at " + jar + " (build it: ./mvnw -q -pl local -am package -DskipTests)");
        require(Files.isDirectory(flinkLib), "no Flink lib/ at " + flinkLib);
        cluster = new SwapBenchmark.ClusterLayout(clusterDir, flinkLib, jar);
      }
      new SwapBenchmark(System.out)
          .traceTo(trace)
          .run(
              new SwapBenchmark.Settings(
                  rate, seconds, window, parallelism, warmUpSeconds, jobSettings.values, cluster));
      return 0;
    }
  }

  @Command(
      name = "bench",
      mixinStandardHelpOptions = true,
      description = {
        "End-to-end throughput and latency on the embedded cluster, side by side in one run: the"
            + " scoring pipeline, the same pipeline with an identity model, per-event scoring"
            + " (our operator at batch 1), naive per-event scoring (boxed lists and new tensors"
            + " per event, as most Flink + ONNX examples do), and raw ONNX Runtime in this JVM.",
        "Ramps the offered rate and reports the highest rate sustained (every prediction arrives"
            + " within --drain-ms after the producer stops, 99%% within --drain-ms of their due"
            + " time, and at least 95%% of the offered rate is achieved) with p50/p99 latency from"
            + " each event's due time to its prediction's arrival."
      })
  static final class BenchCommand implements Callable<Integer> {
    @Option(
        names = "--rates",
        split = ",",
        defaultValue = "5000,10000,20000,40000,80000,120000",
        description = "Offered rates, ascending (default: ${DEFAULT-VALUE}).")
    int[] rates;

    @Option(
        names = "--step-seconds",
        defaultValue = "5",
        description = "Seconds per rate (default: ${DEFAULT-VALUE}).")
    int stepSeconds;

    @Option(
        names = "--parallelism",
        defaultValue = "2",
        description = "Flink parallelism and partitions (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
        names = "--batch-size",
        defaultValue = "256",
        description = "Scoring micro-batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
        names = "--flush-ms",
        defaultValue = "5",
        description = "Scoring flush interval (default: ${DEFAULT-VALUE}).")
    long flushMs;

    @Option(
        names = "--drain-ms",
        defaultValue = "2000",
        description =
            "How long predictions may trail the producer after it stops, and the bound on a"
                + " sustained step's p99 latency (default: ${DEFAULT-VALUE}).")
    long drainMs;

    /** Set on the child JVMs of a per-variant run: the parent measures the machine once. */
    @Option(names = "--variant-jvm", hidden = true)
    boolean variantJvm;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the report as JSON.")
    Path outFile;

    @Option(
        names = "--warm-up-seconds",
        defaultValue = "8",
        description =
            "Untimed load offered to each variant before its ramp (default: ${DEFAULT-VALUE}).")
    int warmUpSeconds;

    @Option(
        names = "--buffer-timeout-ms",
        defaultValue = "10",
        description =
            "Flink network buffer timeout (default: ${DEFAULT-VALUE}; Flink's own is 100).")
    long bufferTimeoutMs;

    @Option(
        names = "--variants",
        split = ",",
        defaultValue =
            "scoring,identity,per_event,naive,scoring_with_ratings,features,features_fold_in",
        description = "Variants to run, in this order (default: ${DEFAULT-VALUE}).")
    List<String> variants;

    @Option(
        names = "--throwaway-pass-seconds",
        defaultValue = "30",
        description =
            "Untimed load offered to a throwaway pass of a variant's whole pipeline before it is"
                + " measured (each variant's, in its own JVM; else the first variant's), so the JIT"
                + " has compiled the broker's, the clients' and Flink's code paths (default:"
                + " ${DEFAULT-VALUE}; 0 for none).")
    int passWarmUpSeconds;

    @Option(
        names = "--jvm-per-variant",
        negatable = true,
        defaultValue = "true",
        fallbackValue = "true",
        description =
            "Run each variant in a fresh JVM with this one's flags, so none inherits another's"
                + " compiled code, heap or page cache and none pays the JIT's first minutes for the"
                + " others (default: ${DEFAULT-VALUE}; --no-jvm-per-variant runs them all in this"
                + " JVM, one after the other).")
    boolean jvmPerVariant;

    @Option(
        names = "--trace",
        paramLabel = "FILE",
        description =
            "Also append each measured step's latency per second to FILE as CSV (predictions, p50,"
                + " p99 and max, and each stage's max), to see where in a step its p99 was made.")
    Path trace;

    @Mixin JobSettings jobSettings;

    @Override
    public Integer call() throws Exception {
      require(
          rates.length > 0 && Arrays.stream(rates).allMatch(r -> r > 0),
          "--rates must be positive");
      requireWritableFile("--out", outFile);
      requireWritableFile("--trace", trace);
      require(stepSeconds > 0, "--step-seconds must be > 0");
      require(parallelism > 0, "--parallelism must be > 0");
      require(batchSize > 0, "--batch-size must be > 0");
      require(flushMs > 0, "--flush-ms must be > 0");
      require(warmUpSeconds >= 0, "--warm-up-seconds must be >= 0");
      require(passWarmUpSeconds >= 0, "--throwaway-pass-seconds must be >= 0");
      require(bufferTimeoutMs >= 0, "--buffer-timeout-ms must be >= 0");
      var bench =
          new ThroughputBenchmark(System.out, jvmPerVariant ? this::childCommand : null)
              .traceTo(trace);
      if (variantJvm) {
        bench.variantsOnly();
      }
      var report =
          bench.run(
              new ThroughputBenchmark.Settings(
                  rates,
                  stepSeconds,
                  parallelism,
                  batchSize,
                  flushMs,
                  Duration.ofMillis(drainMs),
                  warmUpSeconds,
                  bufferTimeoutMs,
                  variants,
                  passWarmUpSeconds,
                  jobSettings.values));
      if (outFile != null) {
        ThroughputBenchmark.write(report, outFile);
        System.out.println("report written to " + outFile);
      }
      return 0;
    }

    /** This command for one variant, in a new JVM with this JVM's flags and class path. */
    private List<String> childCommand(String variant) {
      List<String> c = new ArrayList<>();
      c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      c.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
      c.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              StreamrankCli.class.getName(),
              "bench",
              "--no-jvm-per-variant",
              "--variant-jvm",
              "--variants=" + variant,
              "--rates="
                  + Arrays.stream(rates)
                      .mapToObj(Integer::toString)
                      .collect(java.util.stream.Collectors.joining(",")),
              "--step-seconds=" + stepSeconds,
              "--parallelism=" + parallelism,
              "--batch-size=" + batchSize,
              "--flush-ms=" + flushMs,
              "--drain-ms=" + drainMs,
              "--warm-up-seconds=" + warmUpSeconds,
              "--throwaway-pass-seconds=" + passWarmUpSeconds,
              "--buffer-timeout-ms=" + bufferTimeoutMs));
      jobSettings.values.forEach((k, v) -> c.add("--set=" + k + "=" + v));
      if (trace != null) {
        c.add("--trace=" + trace.toAbsolutePath());
      }
      return c;
    }
  }

  /** The benchmarks' {@code --set KEY=VALUE}: scoring-job settings over the benchmark's own. */
  static final class JobSettings {
    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description =
            "A scoring-job setting (a streamrank.* key, as the job's own arguments take), e.g."
                + " --set streamrank.checkpoint-interval=60s; repeatable.")
    Map<String, String> values = new LinkedHashMap<>();
  }

  static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /**
   * Checks, before any work, that the file {@code option} names can be written, creating its
   * directory if missing: a report that cannot be written fails the run at once, naming the option,
   * not after minutes of work. Nothing to check when the option is not given.
   */
  static void requireWritableFile(String option, Path file) {
    if (file == null) {
      return;
    }
    require(!Files.isDirectory(file), option + " " + file + ": is a directory, not a file");
    Path dir = file.toAbsolutePath().getParent();
    createDirectories(option, file, dir);
    require(
        Files.isWritable(dir) && (!Files.exists(file) || Files.isWritable(file)),
        option + " " + file + ": not writable");
  }

  /** As {@link #requireWritableFile}, for an option that names a directory (created if missing). */
  static void requireWritableDir(String option, Path dir) {
    if (dir == null) {
      return;
    }
    createDirectories(option, dir, dir.toAbsolutePath());
    require(Files.isWritable(dir), option + " " + dir + ": not writable");
  }

  private static void createDirectories(String option, Path given, Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException | UnsupportedOperationException e) {
      throw new IllegalArgumentException(
          option
              + " "
              + given
              + ": cannot create the directory "
              + dir
              + " ("
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage()
              + ")");
    }
  }
}
