package io.streamrank.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.model.onnx.OnnxScorer;
import io.streamrank.model.onnx.ScorerOptions;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.Prediction;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.ModelProvider;
import io.streamrank.streaming.RegistryModelProvider;
import io.streamrank.streaming.ScoringModel;
import io.streamrank.streaming.ScoringOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.HdrHistogram.Histogram;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code ./streamrank bench}: end-to-end throughput and latency on the embedded cluster, side by
 * side in one run. An open-loop producer offers events at fixed rates (a ramp); a rate is sustained
 * when its lag stays bounded ({@link #sustained}). Latency is from the time each event was due on
 * the producer's schedule to its prediction's arrival at a consumer. Variants: the scoring
 * pipeline, the same pipeline with an identity model (no ONNX Runtime), per-event scoring (our
 * operator at batch size 1), naive per-event scoring ({@link NaiveOnnxProvider}), and raw ONNX
 * Runtime batch throughput in this JVM; then, each event followed by its rating, the pipeline
 * without and with the streaming feature state (a feature model), compared on rate and on CPU time
 * per event.
 */
public final class ThroughputBenchmark {
  /**
   * A sustained step's achieved rate is at least this share of the offered one. Draining within the
   * allowance alone admitted a consumer 23% behind the producer in a 5 s step (naive at 75k
   * offered, 57,900 achieved, session 21): a backlog that grew all step, not a bounded lag.
   */
  static final double KEPT_UP = 0.95;

  /** Version of the benchmark's model with the streaming features. */
  private static final String FEATURE_VERSION = "features";

  /**
   * Benchmark settings.
   *
   * @param rates offered rates to try, ascending, events/s
   * @param stepSeconds how long each rate is offered
   * @param parallelism Flink parallelism and partitions
   * @param batchSize scoring micro-batch
   * @param flushMs scoring flush interval
   * @param drain how long predictions may trail the producer and still count as sustained
   * @param warmUpSeconds untimed load offered to each variant before its ramp
   * @param bufferTimeoutMs Flink network buffer timeout
   * @param variants the variants to run, from {@link #VARIANTS}
   * @param passWarmUpSeconds untimed load offered to a throwaway pass of the first variant's whole
   *     pipeline, before any variant is measured (0 for none): the JIT compiles the broker's, the
   *     clients' and Flink's code paths for minutes, and without it the first variant measured paid
   *     for that
   */
  public record Settings(
      int[] rates,
      int stepSeconds,
      int parallelism,
      int batchSize,
      long flushMs,
      Duration drain,
      int warmUpSeconds,
      long bufferTimeoutMs,
      List<String> variants,
      int passWarmUpSeconds,
      Map<String, String> jobSettings) {
    /**
     * @throws IllegalArgumentException naming a variant that does not exist or an unknown job
     *     setting
     */
    public Settings {
      jobSettings = Map.copyOf(jobSettings);
      KafkaScoringJob.settings(jobSettings);
      for (String v : variants) {
        if (!VARIANTS.contains(v)) {
          throw new IllegalArgumentException(
              "unknown bench variant '" + v + "', expected some of " + VARIANTS);
        }
      }
    }

    /** Every variant, at the job's default buffer timeout. */
    public Settings(
        int[] rates,
        int stepSeconds,
        int parallelism,
        int batchSize,
        long flushMs,
        Duration drain,
        int warmUpSeconds) {
      this(
          rates,
          stepSeconds,
          parallelism,
          batchSize,
          flushMs,
          drain,
          warmUpSeconds,
          ScoringOptions.BUFFER_TIMEOUT.defaultValue().toMillis(),
          VARIANTS,
          0,
          Map.of());
    }
  }

  /** The variants, in the order they run. */
  public static final List<String> VARIANTS =
      List.of(
          "scoring",
          "identity",
          "per_event",
          "naive",
          "scoring_with_ratings",
          "features",
          "features_fold_in");

  /**
   * One variant's ramp: per offered rate, achieved rate, latency percentiles, the CPU time this
   * process (broker, Flink, producer and consumer together) spent per prediction during the step,
   * and where the latency went.
   */
  public record Step(
      int offered,
      double achieved,
      boolean sustained,
      long p50,
      long p99,
      long received,
      double cpuMicrosPerEvent,
      Stages stages) {}

  /**
   * Where an event's milliseconds went, p50 and p99 of each stage, from the prediction's own
   * timestamps (wall clock of this one JVM): {@code in} is creation to the job's source (producer
   * linger, broker, source fetch), {@code job} is the source to the score (queueing, the
   * micro-batch, the model), {@code out} is the score to the probe (sink linger, broker, consumer).
   */
  public record Stages(long inP50, long inP99, long jobP50, long jobP99, long outP50, long outP99) {
    @Override
    public String toString() {
      return String.format(
          "in %d/%d, job %d/%d, out %d/%d ms (p50/p99)",
          inP50, inP99, jobP50, jobP99, outP50, outP99);
    }
  }

  private final PrintStream out;
  private final java.util.function.Function<String, List<String>> forkCommand;
  private Path trace;
  private boolean variantsOnly;

  /** Runs every variant in this JVM, one after the other. */
  public ThroughputBenchmark(PrintStream out) {
    this(out, null);
  }

  /**
   * Runs each variant in a JVM of its own, started with {@code forkCommand.apply(variant)} (the
   * command line of a one-variant bench that writes its report to the file named after {@code
   * --out}), so no variant inherits another's compiled code, heap or page cache, and none pays the
   * JIT's first minutes for the others. The parent measures raw ONNX Runtime and the ratios.
   */
  public ThroughputBenchmark(
      PrintStream out, java.util.function.Function<String, List<String>> forkCommand) {
    this.out = out;
    this.forkCommand = forkCommand;
  }

  /**
   * Also appends, per measured step and per second of it, the step's latency figures to {@code
   * file} as CSV (see {@link Probe#trace}): where in a step its p99 was made. Null for none.
   */
  public ThroughputBenchmark traceTo(Path file) {
    this.trace = file;
    return this;
  }

  /**
   * Measures only the variants, not the machine (the thread hand-offs, raw ONNX Runtime): for the
   * child JVM of a per-variant run, whose parent measures those once and reads only the child's
   * steps.
   */
  public ThroughputBenchmark variantsOnly() {
    this.variantsOnly = true;
    return this;
  }

  /** One variant's steps, measured by a child JVM that writes its report as JSON. */
  private List<Step> forked(String variant) throws Exception {
    Path report = Files.createTempFile("streamrank-bench-" + variant, ".json");
    try {
      List<String> command = new ArrayList<>(forkCommand.apply(variant));
      command.add("--out=" + report);
      out.printf("%s: in a JVM of its own%n", variant);
      Process child = new ProcessBuilder(command).inheritIO().start();
      int rc = child.waitFor();
      if (rc != 0) {
        throw new IllegalStateException(
            "the bench of variant " + variant + " failed (exit " + rc + "): " + command);
      }
      ObjectMapper json = new ObjectMapper();
      var steps = json.readTree(report.toFile()).path("variants").path(variant);
      return json.readerForListOf(Step.class).readValue(steps);
    } finally {
      Files.deleteIfExists(report);
    }
  }

  /** Runs every variant and returns the report as a JSON-ready map. */
  public Map<String, Object> run(Settings s) throws Exception {
    InitialModel.Fixture fixture = InitialModel.benchmarkFixture(60_000);
    Path dir = fixture.registry();
    ModelConfig cfg = fixture.config();
    InitialModel.Trained model = fixture.model();
    Map<String, Object> report = new LinkedHashMap<>();
    Map<String, Object> conditions = new LinkedHashMap<>();
    conditions.put("cores", Runtime.getRuntime().availableProcessors());
    conditions.put("parallelism", s.parallelism());
    conditions.put("batch_size", s.batchSize());
    conditions.put("flush_ms", s.flushMs());
    conditions.put("step_seconds", s.stepSeconds());
    conditions.put("warm_up_seconds", s.warmUpSeconds());
    conditions.put("throwaway_pass_seconds", s.passWarmUpSeconds());
    conditions.put("buffer_timeout_ms", s.bufferTimeoutMs());
    conditions.put("job_settings", new java.util.TreeMap<>(s.jobSettings()));
    conditions.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version());
    conditions.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
    if (!variantsOnly) {
      conditions.put(
          "host_thread_handoffs_per_second",
          Math.round(HostCalibration.threadHandoffsPerSecond(Duration.ofMillis(100), 20)));
    }
    conditions.put(
        "jvm_flags",
        String.join(
            " ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
    conditions.put("delivery", "at-least-once sinks (exactly-once adds the checkpoint interval)");
    conditions.put("model", cfg.toMap());
    report.put("conditions", conditions);
    out.println("conditions: " + conditions);

    double raw = 0;
    double rawNaive = 0;
    if (!variantsOnly) {
      raw = rawOnnxRowsPerSecond(dir, model.version(), s.batchSize());
      rawNaive = rawNaiveRowsPerSecond(dir, model.version());
      out.printf(
          "raw ONNX Runtime, 1 thread: batch %d %,.0f rows/s; naive per event %,.0f rows/s%n",
          s.batchSize(), raw, rawNaive);
      report.put("raw_onnx_rows_per_second", raw);
      report.put("raw_naive_rows_per_second", rawNaive);
    }

    Map<String, List<Step>> variants = new LinkedHashMap<>();
    if (forkCommand == null || s.variants().size() < 2) {
      try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
        if (s.passWarmUpSeconds() > 0 && !s.variants().isEmpty()) {
          throwawayPass(kafka, s.variants().get(0), fixture, s);
        }
        for (String v : s.variants()) {
          variants.put(v, ramp(kafka, v, fixture, s));
        }
      }
    } else {
      conditions.put("jvm_per_variant", true);
      for (String v : s.variants()) {
        variants.put(v, forked(v));
      }
    }
    Map<String, Object> best = new LinkedHashMap<>();
    for (var e : variants.entrySet()) {
      best.put(e.getKey(), sustainable(e.getValue()));
    }
    report.put("variants", variants);
    report.put("sustainable_rate", best);
    // A ratio only where both of its sides were measured: a run of one variant (a per-variant
    // child JVM among them) has none, rather than ratios of zeros.
    Map<String, Object> ratios = new LinkedHashMap<>();
    rateRatio(ratios, "scoring_over_identity_rate", variants, "scoring", "identity");
    if (raw > 0 && variants.containsKey("scoring")) {
      ratios.put("pipeline_over_raw_onnx_rate", sustainable(variants.get("scoring")) / raw);
    }
    rateRatio(ratios, "batched_over_per_event_rate", variants, "scoring", "per_event");
    rateRatio(ratios, "batched_over_naive_rate", variants, "scoring", "naive");
    // The model alone, no pipeline around it: what batching saves per row inside ONNX Runtime.
    if (rawNaive > 0) {
      ratios.put("raw_batched_over_raw_naive_rate", raw / rawNaive);
    }
    if (variants.containsKey("scoring") && variants.containsKey("identity")) {
      ratios.put(
          "scoring_p99_over_identity_p99_at_common_rate",
          p99Ratio(variants.get("scoring"), variants.get("identity")));
    }
    rateRatio(
        ratios,
        "features_over_scoring_with_ratings_rate",
        variants,
        "features",
        "scoring_with_ratings");
    rateRatio(
        ratios,
        "features_fold_in_over_scoring_with_ratings_rate",
        variants,
        "features_fold_in",
        "scoring_with_ratings");
    if (variants.containsKey("features") && variants.containsKey("scoring_with_ratings")) {
      ratios.put(
          "features_over_scoring_with_ratings_cpu_per_event",
          cpuRatio(variants.get("features"), variants.get("scoring_with_ratings")));
    }
    report.put("ratios", ratios);
    out.println("sustainable rate (events/s): " + best);
    if (!ratios.isEmpty()) {
      out.println("ratios: " + ratios);
    }
    return report;
  }

  /**
   * Puts {@code name}: the sustainable rate of {@code over} divided by that of {@code under}, 0
   * when {@code under} sustained no step; nothing unless both were measured.
   */
  private static void rateRatio(
      Map<String, Object> ratios,
      String name,
      Map<String, List<Step>> variants,
      String over,
      String under) {
    if (variants.containsKey(over) && variants.containsKey(under)) {
      double u = sustainable(variants.get(under));
      ratios.put(name, u > 0 ? sustainable(variants.get(over)) / u : 0);
    }
  }

  /**
   * Runs the variant's whole pipeline (its own topics and job) at the warm-up rate for {@link
   * Settings#passWarmUpSeconds()}, measuring nothing.
   */
  private void throwawayPass(
      EmbeddedKafka kafka, String variant, InitialModel.Fixture fixture, Settings s)
      throws Exception {
    out.printf("throwaway pass: %s for %d s, untimed%n", variant, s.passWarmUpSeconds());
    Settings pass =
        new Settings(
            s.rates(),
            s.stepSeconds(),
            s.parallelism(),
            s.batchSize(),
            s.flushMs(),
            s.drain(),
            s.passWarmUpSeconds(),
            s.bufferTimeoutMs(),
            s.variants(),
            0,
            s.jobSettings());
    ramp(kafka, variant, "throwaway-", fixture, pass, false);
  }

  private List<Step> ramp(
      EmbeddedKafka kafka, String variant, InitialModel.Fixture fixture, Settings s)
      throws Exception {
    return ramp(kafka, variant, "", fixture, s, true);
  }

  private List<Step> ramp(
      EmbeddedKafka kafka,
      String variant,
      String prefix,
      InitialModel.Fixture fixture,
      Settings s,
      boolean measure)
      throws Exception {
    boolean features = variant.startsWith("features");
    boolean ratings = features || variant.equals("scoring_with_ratings");
    // Topic prefixes and printed names as before the variants became selectable.
    String name =
        prefix
            + switch (variant) {
              case "per_event" -> "per-event";
              case "scoring_with_ratings" -> "with-ratings";
              default -> variant;
            };
    ModelProvider provider =
        switch (variant) {
          case "identity" -> identity();
          case "features", "features_fold_in" -> featureModel(fixture);
          case "naive" ->
              new NaiveOnnxProvider(
                  fixture.registry().toUri().toString(), fixture.model().version());
          default -> fixture.model().provider();
        };
    boolean perEvent = variant.equals("per_event") || variant.equals("naive");
    int batchSize = perEvent ? 1 : s.batchSize();
    Topics topics = Topics.withPrefix(name + ".");
    kafka.createTopics(topics, s.parallelism());
    Configuration conf = new Configuration();
    conf.set(ScoringOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    conf.set(ScoringOptions.TOPIC_PREFIX, name + ".");
    conf.set(ScoringOptions.EXACTLY_ONCE, false);
    conf.set(ScoringOptions.BATCH_SIZE, batchSize);
    conf.set(ScoringOptions.FLUSH_INTERVAL, Duration.ofMillis(s.flushMs()));
    conf.set(ScoringOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(10));
    conf.set(ScoringOptions.BUFFER_TIMEOUT, Duration.ofMillis(s.bufferTimeoutMs()));
    conf.set(ScoringOptions.FEATURES_ENABLED, features);
    conf.addAll(KafkaScoringJob.settings(s.jobSettings()));
    if (variant.equals("features_fold_in")) {
      Path table = fixture.registry().resolve("fold-in-table.bin");
      if (!Files.exists(table)) {
        PrequentialEvaluation.writeFoldInTable(fixture.split().train(), table);
      }
      conf.set(ScoringOptions.FEATURES_FOLD_IN_TABLE, table.toUri().toString());
    }
    StreamExecutionEnvironment env = LocalFlink.environment(s.parallelism(), false, 8081);
    KafkaScoringJob.configure(env, conf);
    KafkaScoringJob.create(conf, provider).build(env);
    JobClient job = env.executeAsync("bench " + name);
    List<Step> steps = new ArrayList<>();
    try (Probe probe = new Probe(kafka.bootstrapServers(), topics, ratings, trace != null)) {
      Thread reader = new Thread(probe, "bench-probe-" + name);
      reader.setDaemon(true);
      reader.start();
      // Warm-up, untimed: the job must be running, and the JIT, the broker and the page cache warm,
      // before the clock starts. Without it the first variant measured lost half its rate.
      probe.offer(500, 2, "start-");
      probe.awaitAll(Duration.ofSeconds(120));
      probe.offer(Math.min(20_000, s.rates()[s.rates().length / 2]), s.warmUpSeconds(), "warm-");
      probe.awaitAll(Duration.ofSeconds(120));
      for (int rate : measure ? s.rates() : new int[0]) {
        probe.reset();
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        probe.offer(rate, s.stepSeconds(), "r" + rate + "-");
        double offerSeconds = (System.nanoTime() - start) / 1e9;
        boolean drained = probe.awaitAll(s.drain());
        double seconds = (probe.lastArrivalNanos() - start) / 1e9;
        double cpuMicros = (processCpuNanos() - cpuStart) / 1e3 / Math.max(1, probe.received());
        double achieved = probe.received() / Math.max(seconds, offerSeconds);
        long p99 = probe.latencyQuantile(0.99);
        Step step =
            new Step(
                rate,
                achieved,
                sustained(rate, achieved, drained, p99, offerSeconds, s.stepSeconds(), s.drain()),
                probe.latencyQuantile(0.5),
                p99,
                probe.received(),
                cpuMicros,
                probe.stages());
        steps.add(step);
        if (trace != null) {
          probe.trace(variant, rate, trace);
        }
        out.printf(
            "%-12s offered %,7d ev/s: achieved %,9.0f ev/s, p50 %4d ms, p99 %5d ms, %5.0f µs CPU"
                + " per event, %s; %s%n",
            name,
            rate,
            step.achieved(),
            step.p50(),
            step.p99(),
            step.cpuMicrosPerEvent(),
            step.sustained() ? "sustained" : "NOT sustained",
            step.stages());
        if (!step.sustained()) {
          probe.awaitAll(Duration.ofSeconds(30)); // let the backlog clear before leaving
          break;
        }
      }
    } finally {
      job.cancel().get();
    }
    return steps;
  }

  /**
   * Whether a step's rate was sustained, that is its lag stayed bounded: the producer kept its pace
   * (offered the step within 10% of its length), every prediction arrived within the drain
   * allowance after the producer stopped, 99% of them within the drain allowance of their due time,
   * and the achieved rate is at least {@link #KEPT_UP} of the offered one. The p99 bound catches a
   * lag that grows all step but clears in the drain once the producer stops and frees its CPU
   * (280,000 offered for 60 s, session 21: 97.7% achieved, p99 6.2 s).
   */
  static boolean sustained(
      int offered,
      double achieved,
      boolean drained,
      long p99Ms,
      double offerSeconds,
      int stepSeconds,
      Duration drain) {
    return drained
        && offerSeconds < stepSeconds * 1.1
        && p99Ms <= drain.toMillis()
        && achieved >= KEPT_UP * offered;
  }

  private static double sustainable(List<Step> steps) {
    return steps.stream().filter(Step::sustained).mapToDouble(Step::offered).max().orElse(0);
  }

  /** CPU per event of {@code a} over {@code b}'s at the highest rate both sustained. */
  private static double cpuRatio(List<Step> a, List<Step> b) {
    for (int i = a.size() - 1; i >= 0; i--) {
      for (Step other : b) {
        if (a.get(i).sustained() && other.sustained() && other.offered() == a.get(i).offered()) {
          return a.get(i).cpuMicrosPerEvent() / other.cpuMicrosPerEvent();
        }
      }
    }
    return Double.NaN;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * The fixture's model with the streaming features, trained on the same rows (features point in
   * time) and published beside it once (the throwaway pass and the measured ramp share it).
   */
  private static ModelProvider featureModel(InitialModel.Fixture fixture) throws Exception {
    StreamingFeatures def = StreamingFeatures.DEFAULT;
    String registry = fixture.registry().toUri().toString();
    if (!new ModelRegistry(registry).versions().contains(FEATURE_VERSION)) {
      publishFeatureModel(fixture, def, registry);
    }
    return new RegistryModelProvider(
        registry, FEATURE_VERSION, io.streamrank.model.onnx.Device.CPU, 1, def);
  }

  private static void publishFeatureModel(
      InitialModel.Fixture fixture, StreamingFeatures def, String registry) throws Exception {
    var split = fixture.split();
    List<io.streamrank.datasets.Rating> history = new ArrayList<>(split.train());
    history.addAll(split.valid());
    float[][] trainF = def.pointInTime(history, split.train());
    float[][] validF = def.pointInTime(history, split.valid());
    ModelConfig cfg = fixture.config().toBuilder().numFeatures(StreamingFeatures.COUNT).build();
    var model =
        new io.streamrank.model.Trainer()
            .train(
                split.train(),
                trainF,
                split.valid(),
                validF,
                cfg,
                io.streamrank.model.TrainingListener.NONE);
    io.streamrank.model.registry.Bundles.exportAndPublish(
        new ModelRegistry(registry),
        model,
        FEATURE_VERSION,
        null,
        split.valid(),
        validF,
        Map.of(),
        def);
  }

  private static double p99Ratio(List<Step> a, List<Step> b) {
    for (int i = a.size() - 1; i >= 0; i--) {
      for (Step other : b) {
        if (a.get(i).sustained() && other.sustained() && other.offered() == a.get(i).offered()) {
          return (double) a.get(i).p99() / Math.max(1, other.p99());
        }
      }
    }
    return Double.NaN;
  }

  private static double rawOnnxRowsPerSecond(Path registryDir, String version, int batch)
      throws Exception {
    byte[] onnx = new ModelRegistry(registryDir.toUri().toString()).load(version).onnx();
    try (OnnxScorer scorer =
        OnnxScorer.open(onnx, new ScorerOptions(io.streamrank.model.onnx.Device.CPU, 1, batch))) {
      return rowsPerSecond(batch, (u, m, n, s) -> scorer.score(u, m, null, n, s));
    }
  }

  /** The naive baseline's model ({@link NaiveOnnxProvider}) called one row at a time. */
  private static double rawNaiveRowsPerSecond(Path registryDir, String version) throws Exception {
    try (ScoringModel naive =
        new NaiveOnnxProvider(registryDir.toUri().toString(), version).openInitial(1)) {
      return rowsPerSecond(1, naive::score);
    }
  }

  /** Rows a second of {@code score} over 2 s, after 200 untimed calls, in this thread. */
  private static double rowsPerSecond(int batch, RowScorer score) {
    long[] users = new long[batch];
    long[] movies = new long[batch];
    float[] outScores = new float[batch];
    for (int i = 0; i < batch; i++) {
      users[i] = 1 + i % 900;
      movies[i] = 1 + (i * 7) % 1600;
    }
    for (int i = 0; i < 200; i++) {
      score.score(users, movies, batch, outScores);
    }
    long rows = 0;
    long start = System.nanoTime();
    while (System.nanoTime() - start < 2_000_000_000L) {
      score.score(users, movies, batch, outScores);
      rows += batch;
    }
    return rows / ((System.nanoTime() - start) / 1e9);
  }

  /** One call of a model over {@code n} rows. */
  @FunctionalInterface
  private interface RowScorer {
    void score(long[] users, long[] movies, int n, float[] out);
  }

  /** A model that returns 0 for every row: the pipeline's cost without ONNX Runtime. */
  static ModelProvider identity() {
    return new ModelProvider() {
      private static final long serialVersionUID = 1L;

      @Override
      public ScoringModel openInitial(int maxBatchSize) {
        return new BenchModel("identity") {
          @Override
          public void score(long[] users, long[] movies, int n, float[] out) {
            Arrays.fill(out, 0, n, 0f);
          }

          @Override
          public void close() {}
        };
      }

      @Override
      public ScoringModel open(ModelUpdate announcement, int maxBatchSize) throws Exception {
        throw new UnsupportedOperationException("the identity model does not swap");
      }
    };
  }

  /** Open-loop producer and arrival-time consumer for one variant's topics. */
  private static final class Probe implements Runnable, AutoCloseable {
    private static final long MAX_MS = 3_600_000;
    private final Topics topics;
    private final boolean ratings;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    // HdrHistograms of fixed size: a step's samples grow nothing in the JVM being measured. The
    // arrays they replace (five longs a sample, doubled when full) were copied as humongous
    // objects of tens of MB in a 150 s step at 50k ev/s, and that step's p99 was 534-1,151 ms
    // with them against 68-108 ms without (docs/benchmarks.md, session 19).
    private final Histogram latency = histogram();
    private final Histogram[] stages = {histogram(), histogram(), histogram()};

    /** Per second of the step: latency, and each stage's max; kept only for --trace. */
    private final boolean perSecondToo;

    private final List<Second> perSecond = new ArrayList<>();
    private long stepStart = System.nanoTime();
    private int received;
    private int expected;
    private long lastArrival;
    private volatile boolean running = true;

    /**
     * @param ratings also send a rating for each event, as the live stream does (the feature state
     *     and the monitors consume them)
     * @param perSecond also keep each second's latency, for {@link #trace}
     */
    Probe(String servers, Topics topics, boolean ratings, boolean perSecond) {
      this.topics = topics;
      this.ratings = ratings;
      this.perSecondToo = perSecond;
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
      p.put(ProducerConfig.LINGER_MS_CONFIG, "2");
      p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(128 * 1024));
      p.put(ProducerConfig.ACKS_CONFIG, "1");
      producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
      c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-probe-" + System.nanoTime());
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      // fetch.min.bytes 1 (the default) answers a fetch as soon as a prediction arrives, so a
      // longer fetch.max.wait.ms costs no latency; the 5 ms it had made an idle probe send 200
      // fetches a second to the broker it measures.
      consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      consumer.subscribe(List.of(topics.predictions().name()));
    }

    /**
     * Offers {@code rate} events/s for {@code seconds}, each stamped with the time it was due
     * (epoch ms), which is where its latency counts from. An open-loop producer that falls behind
     * its schedule (a pause, a blocked send) thus adds its lag to the latencies instead of hiding
     * it by stamping the events late: no coordinated omission.
     */
    void offer(int rate, int seconds, String prefix) {
      int n = rate * seconds;
      synchronized (this) {
        expected += n;
      }
      Pacer pacer = new Pacer(rate);
      long startEpochMs = System.currentTimeMillis();
      for (int i = 0; i < n; i++) {
        long dueOffset = pacer.awaitDue(i);
        String id = prefix + i;
        long user = 1 + (i * 7919L) % 900;
        Event e =
            Event.newBuilder()
                .setEventId(id)
                .setUserId(user)
                .setMovieId(1 + (i * 104729L) % 1600)
                .setTimestamp(startEpochMs + dueOffset / 1_000_000)
                .build();
        producer.send(
            new ProducerRecord<>(
                topics.events().name(),
                Long.toString(user).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                topics.events().codec().encode(e)));
        if (ratings) {
          producer.send(
              new ProducerRecord<>(
                  topics.ratings().name(),
                  Long.toString(user).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                  topics
                      .ratings()
                      .codec()
                      .encode(
                          RatingEvent.newBuilder()
                              .setEventId(id)
                              .setUserId(user)
                              .setMovieId(e.getMovieId())
                              .setTimestamp(e.getTimestamp())
                              .setRating(1 + i % 5)
                              .build())));
        }
      }
      producer.flush();
    }

    @Override
    public void run() {
      try {
        while (running) {
          var records = consumer.poll(Duration.ofMillis(20));
          if (records.isEmpty()) {
            continue;
          }
          // A poll's records arrived together: one arrival time and one lock for all of them.
          long now = System.nanoTime();
          long wallNow = System.currentTimeMillis();
          synchronized (this) {
            for (var r : records) {
              var d = topics.predictions().codec().decode(r.value());
              if (!d.isOk()) {
                continue;
              }
              Prediction p = d.value();
              received++;
              lastArrival = now;
              record(
                  wallNow - p.getEventTimestamp(),
                  p.getIngestTime() - p.getEventTimestamp(),
                  p.getScoredTime() - p.getIngestTime(),
                  wallNow - p.getScoredTime(),
                  now);
            }
          }
        }
      } catch (org.apache.kafka.common.errors.WakeupException e) {
        running = false;
      } finally {
        consumer.close();
      }
    }

    /** One prediction's latency and stages (ms); per second of the step only when tracing. */
    private void record(long ms, long in, long job, long out, long now) {
      latency.recordValue(clamp(ms));
      stages[0].recordValue(clamp(in));
      stages[1].recordValue(clamp(job));
      stages[2].recordValue(clamp(out));
      if (!perSecondToo) {
        return;
      }
      int second = (int) ((now - stepStart) / 1_000_000_000L);
      while (perSecond.size() <= second) {
        perSecond.add(new Second(new Histogram(MAX_MS, 2), new long[3]));
      }
      Second sec = perSecond.get(second);
      sec.latency().recordValue(clamp(ms));
      long[] max = sec.stageMax();
      max[0] = Math.max(max[0], in);
      max[1] = Math.max(max[1], job);
      max[2] = Math.max(max[2], out);
    }

    /** Starts a step: its samples, and its seconds for the trace, count from now. */
    synchronized void reset() {
      received = 0;
      expected = 0;
      latency.reset();
      for (Histogram h : stages) {
        h.reset();
      }
      perSecond.clear();
      stepStart = System.nanoTime();
    }

    synchronized int received() {
      return received;
    }

    synchronized long lastArrivalNanos() {
      return lastArrival;
    }

    boolean awaitAll(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        synchronized (this) {
          if (received >= expected) {
            return true;
          }
        }
        Thread.sleep(10);
      }
      return false;
    }

    synchronized long latencyQuantile(double q) {
      return latency.getValueAtPercentile(q * 100);
    }

    synchronized Stages stages() {
      return new Stages(
          stages[0].getValueAtPercentile(50),
          stages[0].getValueAtPercentile(99),
          stages[1].getValueAtPercentile(50),
          stages[1].getValueAtPercentile(99),
          stages[2].getValueAtPercentile(50),
          stages[2].getValueAtPercentile(99));
    }

    /**
     * Appends one CSV line per second of the step, by arrival: variant, offered rate, second, its
     * start (epoch ms, to line it up with a GC log), predictions, p50, p99 and max latency (ms),
     * and the max of each stage (in, job, out). A header goes first into a new file.
     */
    synchronized void trace(String variant, int rate, Path file) throws java.io.IOException {
      long startEpochMs = System.currentTimeMillis() - (System.nanoTime() - stepStart) / 1_000_000;
      StringBuilder csv = new StringBuilder();
      if (!Files.exists(file) || Files.size(file) == 0) {
        csv.append("variant,offered,second,epoch_ms,predictions,p50_ms,p99_ms,max_ms,in_max_ms")
            .append(",job_max_ms,out_max_ms\n");
      }
      for (int t = 0; t < perSecond.size(); t++) {
        Histogram h = perSecond.get(t).latency();
        long[] max = perSecond.get(t).stageMax();
        csv.append(
            String.format(
                java.util.Locale.ROOT,
                "%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d%n",
                variant,
                rate,
                t,
                startEpochMs + t * 1000L,
                h.getTotalCount(),
                h.getValueAtPercentile(50),
                h.getValueAtPercentile(99),
                h.getMaxValue(),
                max[0],
                max[1],
                max[2]));
      }
      Files.writeString(
          file,
          csv,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    }

    /** One second of a traced step: its latency, and the max of each stage (in, job, out). */
    private record Second(Histogram latency, long[] stageMax) {}

    /** Latencies up to an hour, to 3 significant digits (exact below a second). */
    private static Histogram histogram() {
      return new Histogram(MAX_MS, 3);
    }

    private static long clamp(long ms) {
      return Math.max(0, Math.min(MAX_MS, ms));
    }

    @Override
    public void close() {
      running = false;
      consumer.wakeup();
      producer.close();
    }
  }

  /** Writes the report as JSON. */
  public static void write(Map<String, Object> report, Path file) throws Exception {
    Files.writeString(
        file,
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
  }
}
