package io.streamrank.local;

import io.streamrank.datasets.MovieLens;
import io.streamrank.datasets.Rating;
import io.streamrank.datasets.RatingData;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.Metrics;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.features.FoldInTable;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.model.onnx.Device;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.DataSpec;
import io.streamrank.retrain.RetrainService;
import io.streamrank.retrain.RetrainWorker;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.RegistryModelProvider;
import io.streamrank.streaming.ScoringOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;

/**
 * {@code ./streamrank evaluate --prequential}: replays a data set in time order through the real
 * scoring job on the embedded cluster (KRaft broker, Flink MiniCluster, ONNX Runtime) and measures
 * prequential RMSE: every event of the last 40% of the time range is scored before its rating is
 * seen. The initial model is trained on the first 60% (the first half to fit, the next tenth to
 * stop early), as in the demo. The variants run one after the other on the same replay: a static
 * model, retraining (the demo's retrain loop; requests from the drift and error signals, and every
 * {@link Settings#retrainEvery()} of event time when set), streaming features kept in the job's
 * keyed state, and both; and the streaming features with the fold-in correction added to every
 * score (against a table of {@value #FOLD_IN_DIM}-d movie vectors fitted on the initial model's
 * training window and fixed across retrains), with and without retraining.
 */
public final class PrequentialEvaluation {
  /** One way of serving the replay. */
  public enum Variant {
    STATIC(false, false, false),
    RETRAINING(false, true, false),
    FEATURES(true, false, false),
    FEATURES_AND_RETRAINING(true, true, false),
    /** Streaming features and the fold-in correction added to every score. */
    FEATURES_AND_FOLD_IN(true, false, true),
    FEATURES_AND_FOLD_IN_AND_RETRAINING(true, true, true);

    final boolean features;
    final boolean retraining;
    final boolean foldIn;

    Variant(boolean features, boolean retraining, boolean foldIn) {
      this.features = features;
      this.retraining = retraining;
      this.foldIn = foldIn;
    }

    /**
     * Its name in reports: static, retraining, features, features+retraining, features+fold-in,
     * features+fold-in+retraining.
     */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace("_and_", "+").replace('_', '-');
    }
  }

  /**
   * Evaluation settings.
   *
   * @param data a MovieLens directory, or null for the synthetic generator
   * @param synthetic generator options when {@code data} is null
   * @param variants the variants to run, in order
   * @param rate events per second of the replay (retraining needs the stream to still be flowing
   *     when a retrained version is ready); 0 for as fast as possible
   * @param limit replay at most this many events of the last 40% (0: all), for quick runs
   * @param retrainBudget configurations the retrain job tunes per request
   * @param rmseIncrease the trigger's threshold on the relative rise of prequential RMSE
   * @param retrainEvery event time between scheduled retrain requests (each on every rating up to
   *     its end), {@link Duration#ZERO} for drift- and error-triggered requests only
   * @param config the initial model's configuration (features are added for the feature variants)
   * @param drainTimeout how long to wait for outputs after the replay
   */
  public record Settings(
      Path data,
      SyntheticGenerator.Options synthetic,
      List<Variant> variants,
      double rate,
      int limit,
      int retrainBudget,
      double rmseIncrease,
      Duration retrainEvery,
      ModelConfig config,
      Duration drainTimeout) {}

  /** The fold-in table's dimension. */
  static final int FOLD_IN_DIM = 10;

  /** The ridge of the alternating least squares that fits the fold-in table. */
  static final float FOLD_IN_ALS_LAMBDA = 5f;

  /** The ridge on each user's fold-in vector. */
  static final float FOLD_IN_RIDGE = 5f;

  /**
   * What one variant measured.
   *
   * @param variant which one
   * @param rmse prequential RMSE over the scored events
   * @param scored events scored
   * @param events events replayed
   * @param initialValidRmse the initial model's validation RMSE
   * @param versions model versions seen on predictions, in order
   * @param retrainRequests retrain requests the monitors raised
   * @param retrains retrain runs the retrain worker finished
   * @param promoted retrained versions promoted
   * @param seconds wall time of the variant
   */
  public record Result(
      Variant variant,
      double rmse,
      long scored,
      long events,
      double initialValidRmse,
      List<String> versions,
      int retrainRequests,
      int retrains,
      long promoted,
      double seconds) {
    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("variant", variant.label());
      m.put("prequential_rmse", rmse);
      m.put("scored", scored);
      m.put("events", events);
      m.put("initial_valid_rmse", initialValidRmse);
      m.put("versions", versions);
      m.put("retrain_requests", retrainRequests);
      m.put("retrains", retrains);
      m.put("promoted", promoted);
      m.put("seconds", seconds);
      return m;
    }
  }

  private final PrintStream out;

  public PrequentialEvaluation(PrintStream out) {
    this.out = out;
  }

  /** Runs every variant of the settings and returns the report (also printed). */
  public Map<String, Object> run(Settings s) throws Exception {
    RatingData data =
        s.data() != null
            ? MovieLens.load(s.data())
            : new SyntheticGenerator(s.synthetic()).generate();
    data.malformedSummary().ifPresent(out::println);
    Split split = Splits.byTime(data.ratings(), 0.5, 0.6);
    List<Rating> live =
        s.limit() > 0 && s.limit() < split.test().size()
            ? split.test().subList(0, s.limit())
            : split.test();
    out.printf(
        "data: %s, %,d ratings: initial model fitted on %,d, stopped early on %,d; %,d events"
            + " replayed at %s%n",
        data.source(),
        data.ratings().size(),
        split.train().size(),
        split.valid().size(),
        live.size(),
        s.rate() > 0 ? String.format(Locale.ROOT, "%.0f ev/s", s.rate()) : "full speed");
    List<Result> results = new ArrayList<>();
    for (Variant v : s.variants()) {
      Result r = runVariant(s, v, split, live);
      out.printf(
          "%-20s prequential RMSE %.4f over %,d events (versions %s, retrain requests %d,"
              + " retrains %d, promoted %d, %.1f s)%n",
          v.label(),
          r.rmse(),
          r.scored(),
          r.versions(),
          r.retrainRequests(),
          r.retrains(),
          r.promoted(),
          r.seconds());
      results.add(r);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("data", data.source());
    report.put("replayed_events", live.size());
    report.put("rate", s.rate());
    report.put("retrain_budget", s.retrainBudget());
    report.put("trigger_rmse_increase", s.rmseIncrease());
    report.put("trigger_schedule_days", s.retrainEvery().toSeconds() / 86_400.0);
    report.put("results", results.stream().map(Result::toMap).toList());
    out.println();
    out.printf("%-20s %-28s %s%n", "variant", "prequential RMSE (last 40%)", "retrains / promoted");
    for (Result r : results) {
      out.printf(
          "%-20s %-28s %s%n",
          r.variant().label(),
          String.format(Locale.ROOT, "%.4f", r.rmse()),
          r.variant().retraining ? r.retrains() + " / " + r.promoted() : "-");
    }
    return report;
  }

  private Result runVariant(Settings s, Variant v, Split split, List<Rating> live)
      throws Exception {
    long start = System.nanoTime();
    out.printf("%n== %s ==%n", v.label());
    Path registry =
        TempDirs.deletedOnExit("streamrank-evaluate-" + v.name().toLowerCase(Locale.ROOT) + "-");
    StreamingFeatures definition = v.features ? StreamingFeatures.DEFAULT : null;
    Initial initial = trainInitial(s.config(), split, registry, definition);
    out.printf(
        "initial model %s: valid RMSE %.4f%s%n",
        initial.version(), initial.validRmse(), v.features ? " (with streaming features)" : "");
    Topics topics = Topics.defaults();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(topics, 2);
      Configuration conf = new Configuration();
      conf.set(ScoringOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      conf.set(ScoringOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
      conf.set(ScoringOptions.FEATURES_ENABLED, v.features);
      if (v.foldIn) {
        conf.set(ScoringOptions.FEATURES_FOLD_IN_TABLE, foldInTable(split, registry));
      }
      Duration window = monitorSettings(conf, live, s.rmseIncrease(), s.retrainEvery());
      // Partitions are read side by side, so event time interleaves across them by up to this.
      conf.set(ScoringOptions.FEATURES_MAX_OUT_OF_ORDERNESS, window.dividedBy(7));
      StreamExecutionEnvironment env = LocalFlink.environment(2, false, 8081);
      KafkaScoringJob.configure(env, conf);
      KafkaScoringJob.create(
              conf,
              new RegistryModelProvider(
                  registry.toUri().toString(), initial.version(), Device.CPU, 1, definition))
          .build(env);
      JobClient job = env.executeAsync("streamrank evaluate " + v.label());
      RetrainWorker worker =
          v.retraining ? retrainWorker(s, v, registry, kafka.bootstrapServers(), topics) : null;
      Thread retrainThread = worker == null ? null : Demo.daemon(worker, "streamrank-retrain");
      try (OutputCollector collector = new OutputCollector(kafka.bootstrapServers(), topics);
          ReplayProducer replay = new ReplayProducer(kafka.bootstrapServers(), topics)) {
        Thread reader = Demo.daemon(collector, "streamrank-output-collector");
        // The ratings topic holds the past, as in production: the job's feature state starts
        // from the same history the initial model's features were computed from.
        List<Rating> history = new ArrayList<>(split.train());
        history.addAll(split.valid());
        replay.sendHistory(history, "past-");
        awaitConsumed(
            kafka.bootstrapServers(),
            conf.get(ScoringOptions.GROUP_ID) + "-ratings",
            topics.ratings().name(),
            history.size(),
            s.drainTimeout());
        replay.replay(live, s.rate(), "ev-");
        long deadline = System.nanoTime() + s.drainTimeout().toNanos();
        while (collector.predictions() < live.size() && System.nanoTime() < deadline) {
          if (job.getJobStatus().get().isGloballyTerminalState()) {
            job.getJobExecutionResult().get(); // throws with the job's failure cause
          }
          Thread.sleep(100);
        }
        Thread.sleep(1500); // the last window reports and retrain requests
        if (worker != null) {
          worker.close();
          retrainThread.join(30_000);
        }
        job.cancel().get();
        collector.close();
        reader.join(10_000);
        Map<String, Float> scores = collector.scores();
        double sum = 0;
        long n = 0;
        for (int i = 0; i < live.size(); i++) {
          Float score = scores.get(ReplayProducer.eventId("ev-", i));
          if (score != null) {
            double d = score - live.get(i).rating();
            sum += d * d;
            n++;
          }
        }
        return new Result(
            v,
            n == 0 ? Double.NaN : Math.sqrt(sum / n),
            n,
            live.size(),
            initial.validRmse(),
            collector.versions(),
            collector.retrainRequests().size(),
            worker == null ? 0 : worker.outcomes().size(),
            worker == null
                ? 0
                : worker.outcomes().stream().filter(RetrainService.Outcome::promoted).count(),
            (System.nanoTime() - start) / 1e9);
      }
    }
  }

  /**
   * Waits until the job has committed offsets (on a checkpoint) past {@code records} records of
   * {@code topic}: everything sent before has been read.
   */
  static void awaitConsumed(
      String servers, String group, String topic, long records, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
      while (true) {
        long committed = 0;
        for (var e :
            admin
                .listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get()
                .entrySet()) {
          if (e.getKey().topic().equals(topic) && e.getValue() != null) {
            committed += e.getValue().offset();
          }
        }
        if (committed >= records) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the job read " + committed + " of " + records + " history ratings in " + timeout);
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * Fits the fold-in table on the initial model's training window, writes it beside the registry's
   * versions and returns its URI.
   */
  private String foldInTable(Split split, Path registry) throws java.io.IOException {
    Path file = registry.resolve("fold-in-table.bin");
    FoldInTable table = writeFoldInTable(split.train(), file);
    out.printf(
        "fold-in table: %,d movies x %d, ridge %.0f, sha256 %s%n",
        table.size(), table.dim(), table.ridge(), table.sha256());
    return file.toUri().toString();
  }

  /**
   * Fits a fold-in table on {@code train} as {@code evaluate} does, and writes it to {@code file}.
   */
  static FoldInTable writeFoldInTable(List<Rating> train, Path file) throws java.io.IOException {
    FoldInTable table =
        FoldInTable.fit(train, FOLD_IN_DIM, FOLD_IN_ALS_LAMBDA, 15, FOLD_IN_RIDGE, 42L);
    java.nio.file.Files.write(file, table.toBytes());
    return table;
  }

  /** The published initial version and its validation RMSE. */
  private record Initial(String version, double validRmse) {}

  /**
   * Trains on the first half, stops early on the next tenth, publishes. With features, every row's
   * features come point-in-time from the ratings before it, as the stream will compute them.
   */
  private static Initial trainInitial(
      ModelConfig base, Split split, Path registry, StreamingFeatures definition) throws Exception {
    ModelRegistry reg = new ModelRegistry(registry.toUri().toString());
    String version = definition == null ? "initial" : "initial-features";
    if (definition == null) {
      RankingModel m =
          new Trainer().train(split.train(), split.valid(), base, TrainingListener.NONE);
      double valid = Metrics.rmse(m, split.valid());
      Bundles.exportAndPublish(reg, m, version, null, split.valid(), Map.of("valid_rmse", valid));
      return new Initial(version, valid);
    }
    List<Rating> history = new ArrayList<>(split.train());
    history.addAll(split.valid());
    float[][] trainF = definition.pointInTime(history, split.train());
    float[][] validF = definition.pointInTime(history, split.valid());
    ModelConfig cfg = base.toBuilder().numFeatures(StreamingFeatures.COUNT).build();
    RankingModel m =
        new Trainer()
            .train(split.train(), trainF, split.valid(), validF, cfg, TrainingListener.NONE);
    float[] predicted = Metrics.predict(m, split.valid(), validF);
    float[] labels = Metrics.labels(split.valid());
    double valid = Metrics.rmse(predicted, labels, labels.length);
    Bundles.exportAndPublish(
        reg, m, version, null, split.valid(), validF, Map.of("valid_rmse", valid), definition);
    return new Initial(version, valid);
  }

  /** The demo's retrain loop, training with the variant's features. */
  private RetrainWorker retrainWorker(
      Settings s, Variant v, Path registry, String servers, Topics topics) throws Exception {
    DataSpec data =
        (s.data() != null
                ? DataSpec.movieLens(s.data(), "time")
                : DataSpec.synthetic(s.synthetic(), "time"))
            .withStreamingFeatures(v.features);
    return Demo.inProcessRetrainWorker(
        data,
        s.retrainBudget(),
        registry,
        servers,
        topics,
        line -> out.println("[retrain] " + line));
  }

  /**
   * Monitor windows as in the demo: about twelve windows of whole days over the replay, a request
   * after two breaching windows, four windows of cooldown and request timeout, and the schedule if
   * there is one.
   *
   * @return the window
   */
  private Duration monitorSettings(
      Configuration conf, List<Rating> live, double rmseIncrease, Duration retrainEvery) {
    long first = live.stream().mapToLong(Rating::timestamp).min().orElse(0);
    long last = live.stream().mapToLong(Rating::timestamp).max().orElse(0);
    long days = Math.max(1, Math.round((last - first) / 86_400.0 / 12));
    Duration window = Duration.ofDays(days);
    conf.set(ScoringOptions.MONITOR_WINDOW, window);
    conf.set(ScoringOptions.MONITOR_MAX_OUT_OF_ORDERNESS, window.dividedBy(7));
    conf.set(ScoringOptions.TRIGGER_WINDOWS, 2);
    conf.set(ScoringOptions.TRIGGER_MIN_NEW_LABELS, 1000L);
    conf.set(ScoringOptions.TRIGGER_RMSE_INCREASE, rmseIncrease);
    conf.set(ScoringOptions.TRIGGER_COOLDOWN, window.multipliedBy(4));
    conf.set(ScoringOptions.TRIGGER_REQUEST_TIMEOUT, window.multipliedBy(4));
    conf.set(ScoringOptions.TRIGGER_SCHEDULE, retrainEvery);
    return window;
  }
}
