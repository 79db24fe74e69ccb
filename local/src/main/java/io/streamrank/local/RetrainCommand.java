package io.streamrank.local;

import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.Announcer;
import io.streamrank.retrain.DataSpec;
import io.streamrank.retrain.ModelAnnouncer;
import io.streamrank.retrain.RatingsTopic;
import io.streamrank.retrain.RetrainService;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.RetrainRequest;
import io.streamrank.schemas.Topics;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./streamrank retrain}: one retrain request by hand, through the same pipeline the retrain
 * worker runs on each {@code retrain-requests} record.
 */
@Command(
    name = "retrain",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs the retrain job once, by hand: reads a data window, tunes hyperparameters with"
          + " parallel trials (Flink batch jobs), trains the best configuration on train+validation,"
          + " gates it against the serving version on the window's test slice, and, when it wins"
          + " by --margin, publishes it to the registry and announces it on model-updates.",
      "Data: --data DIR (MovieLens files), else the ratings topic of --bootstrap-servers"
          + " (RatingEvent records, bounded by --start-offsets/--end-offsets), else the synthetic"
          + " generator. --from/--to bound the window by event time for every source; the window"
          + " is split by time 60/20/20.",
      "Prints the decision and where the tuning report (tuning.json, learning_curves.svg) is."
    })
final class RetrainCommand implements Callable<Integer> {
  @CommandLine.Mixin StreamrankCli.DataOptions data = new StreamrankCli.DataOptions();

  @CommandLine.Mixin SearchOptions search = new SearchOptions();

  @Option(
      names = "--registry",
      required = true,
      paramLabel = "DIR",
      description = "Model registry: the serving version is read from it, a new one written to it.")
  Path registry;

  @Option(
      names = "--bootstrap-servers",
      description =
          "Kafka brokers: without --data the data comes from their ratings topic; the version is"
              + " announced on model-updates and the run's summary goes to monitoring.")
  String bootstrap;

  @Option(names = "--topic-prefix", defaultValue = "", description = "Prefix of the topic names.")
  String prefix;

  @Option(
      names = "--start-offsets",
      paramLabel = "P:O,...",
      description =
          "First offset read per ratings partition, e.g. 0:1200,1:1180 (default: the earliest).")
  String startOffsets;

  @Option(
      names = "--end-offsets",
      paramLabel = "P:O,...",
      description =
          "Offset per ratings partition where reading stops, exclusive (default: the end when the"
              + " run starts).")
  String endOffsets;

  @Option(
      names = "--from",
      paramLabel = "TIME",
      description =
          "First event time of the window, inclusive: ISO-8601 (2024-01-01T00:00:00Z) or epoch"
              + " milliseconds (default: unbounded).")
  String from;

  @Option(
      names = "--to",
      paramLabel = "TIME",
      description = "Last event time of the window, inclusive (default: unbounded).")
  String to;

  @Option(
      names = "--serving-version",
      description =
          "Version the candidate must beat (default: the newest in the registry; none when it is"
              + " empty, and the candidate is promoted).")
  String servingVersion;

  @Option(
      names = "--request-id",
      description =
          "Request id; the version is r-<id>, and re-running an id announces the published version"
              + " again instead of retraining (default: manual-<current epoch ms>).")
  String requestId;

  @Option(
      names = "--budget",
      defaultValue = "8",
      description = "Configurations to try (default: ${DEFAULT-VALUE}).")
  int budget;

  @Option(
      names = "--margin",
      defaultValue = "0.0",
      description =
          "Test RMSE by which the candidate must beat the serving version (default: ${DEFAULT-VALUE}).")
  double margin;

  @Option(
      names = "--features",
      description = "Train with the streaming features (point-in-time user and movie statistics).")
  boolean features;

  @Option(
      names = "--out",
      defaultValue = "runs/retrain",
      paramLabel = "DIR",
      description = "Reports go to DIR/<version>/ (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    StreamrankCli.require(budget > 0, "--budget must be > 0");
    search.validate();
    StreamrankCli.require(margin >= 0, "--margin must be >= 0");
    StreamrankCli.requireWritableDir("--out", out);
    StreamrankCli.require(
        data.data == null || (startOffsets == null && endOffsets == null),
        "--start-offsets and --end-offsets bound the ratings topic; they do not apply to --data");
    StreamrankCli.require(
        bootstrap != null || (startOffsets == null && endOffsets == null),
        "--start-offsets and --end-offsets need --bootstrap-servers");
    long fromMs = time("--from", from, Long.MIN_VALUE);
    long toMs = time("--to", to, Long.MAX_VALUE);
    StreamrankCli.require(fromMs <= toMs, "--from must not be after --to");
    if (search.flinkRest == null) {
      data.requireReadableHere();
    }
    Topics topics = Topics.withPrefix(prefix);
    DataSpec spec = source(topics).withStreamingFeatures(features);
    ModelRegistry models = new ModelRegistry(registry.toAbsolutePath().toUri().toString());
    String serving = servingVersion != null ? servingVersion : models.latest().orElse("");
    String id = requestId != null ? requestId : "manual-" + System.currentTimeMillis();
    RetrainRequest request =
        RetrainRequest.newBuilder()
            .setRequestId(id)
            .setReason("manual")
            .setServingVersion(serving)
            .setWindowStart(fromMs)
            .setWindowEnd(toMs)
            .setRequestedAt(System.currentTimeMillis())
            .build();
    System.out.printf(
        "retrain %s: %s, serving version %s, %d configurations, %s search, pruner %s%n",
        id,
        describe(spec),
        serving.isEmpty() ? "none" : serving,
        budget,
        search.algo,
        search.pruner);
    RetrainService.Settings settings =
        new RetrainService.Settings(
            spec, budget, search.algo, search.pruner, margin, search.baseConfig(), out);
    RetrainService.Outcome o;
    try (RetrainService service =
        new RetrainService(
            settings, search.executor(), models, announcer(topics), System.out::println)) {
      o = service.handle(request);
      Path report = service.reportDir(request);
      System.out.printf(
          "%s %s: %s%n", o.promoted() ? "promoted" : "not promoted", o.version(), o.reason());
      if (o.promoted() && bootstrap == null) {
        System.out.println("  published to the registry; not announced (no --bootstrap-servers)");
      }
      if (report.toFile().isDirectory()) {
        System.out.println(
            "report: "
                + report.resolve("tuning.json")
                + ", "
                + report.resolve("learning_curves.svg"));
      }
    }
    return 0;
  }

  private DataSpec source(Topics topics) {
    if (data.data != null) {
      return DataSpec.movieLens(data.data, "time");
    }
    if (bootstrap != null) {
      return DataSpec.topic(
          new RatingsTopic(
              bootstrap,
              topics.ratings().name(),
              startOffsets == null
                  ? null
                  : RatingsTopic.parseOffsets("--start-offsets", startOffsets),
              endOffsets == null ? null : RatingsTopic.parseOffsets("--end-offsets", endOffsets)),
          "time");
    }
    return DataSpec.synthetic(data.synthetic(), "time");
  }

  private String describe(DataSpec spec) {
    String source =
        spec.movieLensDir() != null
            ? spec.movieLensDir()
            : spec.ratingsTopic() != null
                ? "topic " + spec.ratingsTopic().topic() + " on " + bootstrap
                : "synthetic data";
    return source
        + (from != null || to != null
            ? ", event time " + (from == null ? "-inf" : from) + " .. " + (to == null ? "+inf" : to)
            : "");
  }

  private Announcer announcer(Topics topics) {
    if (bootstrap != null) {
      return new ModelAnnouncer(bootstrap, topics);
    }
    return new Announcer() {
      @Override
      public void announce(ModelUpdate update) {}

      @Override
      public void report(MonitorReport report) {}
    };
  }

  /** ISO-8601 instant or epoch milliseconds. */
  static long time(String option, String text, long unbounded) {
    if (text == null) {
      return unbounded;
    }
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      try {
        return Instant.parse(text.strip()).toEpochMilli();
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException(
            option
                + ": expected an ISO-8601 instant such as 2024-01-01T00:00:00Z or epoch"
                + " milliseconds, got '"
                + text
                + "'");
      }
    }
  }
}
