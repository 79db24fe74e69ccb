package io.streamrank.local;

import io.streamrank.datasets.MovieLens;
import io.streamrank.datasets.Rating;
import io.streamrank.datasets.RatingData;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.DataSpec;
import io.streamrank.retrain.FlinkTrialExecutor;
import io.streamrank.retrain.ModelAnnouncer;
import io.streamrank.retrain.RetrainService;
import io.streamrank.retrain.RetrainWorker;
import io.streamrank.schemas.RetrainRequest;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.ModelProvider;
import io.streamrank.streaming.ScoringOptions;
import io.streamrank.streaming.monitor.MonitorSettings;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code ./streamrank demo}: the whole system in one process. Starts a KRaft broker, trains an
 * initial model on the first 60% of the time range, publishes it to a registry, runs the scoring
 * job in a Flink MiniCluster, replays the remaining 40% as a live stream, reads every output back
 * and accounts for every event.
 */
public final class Demo {
  /**
   * Demo settings.
   *
   * @param data a MovieLens directory, or null for the synthetic generator
   * @param synthetic generator options when {@code data} is null
   * @param rate events per second, 0 for as fast as possible
   * @param partitions partitions of events/ratings/predictions
   * @param parallelism Flink parallelism
   * @param batchSize scoring micro-batch size
   * @param flushMs scoring flush interval
   * @param corrupt corrupt records to mix into the stream (they must come out as dead letters)
   * @param webUi serve the Flink web UI
   * @param webPort first port to try for the web UI
   * @param registry registry directory; a temporary one when null
   * @param drainTimeout how long to wait for outputs after the replay ends
   * @param summary where to write the JSON summary, or null
   * @param retrainBudget configurations the retrain job tunes per request; 0 turns retraining off
   * @param report where to write the HTML monitoring report, or null
   */
  public record Settings(
      Path data,
      SyntheticGenerator.Options synthetic,
      double rate,
      int partitions,
      int parallelism,
      int batchSize,
      long flushMs,
      int corrupt,
      boolean webUi,
      int webPort,
      Path registry,
      Duration drainTimeout,
      Path summary,
      int retrainBudget,
      Path report) {}

  private final PrintStream out;

  public Demo(PrintStream out) {
    this.out = out;
  }

  /** Runs the demo and returns its summary. */
  public DemoSummary run(Settings s) throws Exception {
    long start = System.nanoTime();
    RatingData data =
        s.data() != null
            ? MovieLens.load(s.data())
            : new SyntheticGenerator(s.synthetic()).generate();
    data.malformedSummary().ifPresent(out::println);
    Split split = Splits.byTime(data.ratings(), 0.5, 0.6);
    List<Rating> history = new ArrayList<>(split.train());
    List<Rating> live = split.test();
    out.printf(
        "data: %s%n  %,d ratings: train on the first 60%% of the time range (%,d, of which %,d"
            + " for early stopping), replay the last 40%% (%,d)%n",
        data.source(),
        data.ratings().size(),
        history.size() + split.valid().size(),
        split.valid().size(),
        live.size());

    Path registry =
        s.registry() != null ? s.registry() : TempDirs.deletedOnExit("streamrank-registry-");
    InitialModel.Trained model =
        InitialModel.trainAndPublish(history, split.valid(), registry, out);

    Topics topics = Topics.defaults();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(topics, s.partitions());
      Configuration conf = new Configuration();
      conf.set(ScoringOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      conf.set(ScoringOptions.BATCH_SIZE, s.batchSize());
      conf.set(ScoringOptions.FLUSH_INTERVAL, Duration.ofMillis(s.flushMs()));
      conf.set(ScoringOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
      MonitorSettings monitors = monitorSettings(conf, live);
      ModelProvider provider = model.provider();
      StreamExecutionEnvironment env =
          LocalFlink.environment(s.parallelism(), s.webUi(), s.webPort());
      KafkaScoringJob.configure(env, conf);
      KafkaScoringJob.create(conf, provider).build(env);
      JobClient job = env.executeAsync("streamrank scoring");
      if (s.webUi()) {
        out.printf("Flink web UI: http://127.0.0.1:%d (first free port from there)%n", s.webPort());
      }
      RetrainWorker worker =
          s.retrainBudget() > 0
              ? retrainWorker(s, registry, kafka.bootstrapServers(), topics)
              : null;
      Thread retrainThread = worker == null ? null : Demo.daemon(worker, "streamrank-retrain");
      try (OutputCollector collector = new OutputCollector(kafka.bootstrapServers(), topics);
          ReplayProducer replay = new ReplayProducer(kafka.bootstrapServers(), topics)) {
        Thread reader = Demo.daemon(collector, "streamrank-output-collector");
        Progress progress = new Progress(out, replay, collector);
        Thread ticker = Demo.daemon(progress, "streamrank-progress");
        long replayStart = System.nanoTime();
        replay.replay(live, s.rate(), "ev-");
        injectCorrupt(replay, s.corrupt());
        long lastWindowEnd = sendEndMarkers(replay, live, monitors, s.partitions());
        replay.flush();
        double replaySeconds = (System.nanoTime() - replayStart) / 1e9;
        long sent = replay.sentSoFar();
        long deadline = System.nanoTime() + s.drainTimeout().toNanos();
        while (collector.predictions() + collector.deadLetterCount() < sent
            && System.nanoTime() < deadline) {
          checkJobAlive(job);
          Thread.sleep(100);
        }
        awaitWindowReports(collector, lastWindowEnd);
        // Retrain requests follow their window reports by a checkpoint or two.
        Thread.sleep(2500);
        if (worker != null) {
          awaitRetrains(worker, collector);
          worker.close();
          retrainThread.join(10_000);
        }
        progress.stop();
        ticker.join();
        job.cancel().get();
        collector.close();
        reader.join(10_000);
        DemoSummary summary =
            new DemoSummary(
                sent,
                collector.predictions(),
                collector.deadLetterCount(),
                collector.duplicates(),
                collector.versions(),
                collector.latencyQuantile(0.5),
                collector.latencyQuantile(0.95),
                collector.latencyQuantile(0.99),
                rmse(live, collector.scores()),
                (System.nanoTime() - start) / 1e9,
                replaySeconds,
                scoringSeconds(collector),
                model.metrics(),
                drift(collector),
                retrainRequests(collector),
                retrains(worker, collector));
        report(summary, collector, s.summary());
        if (s.report() != null) {
          writeHtmlReport(s, data, live, monitors, collector);
        }
        return summary;
      }
    }
  }

  /** Starts {@code task} on a daemon thread of that name (it must not keep the JVM alive). */
  static Thread daemon(Runnable task, String name) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * The retrain job of the demo: tunes on the same data source, narrowed to each request's window,
   * trials in their own MiniCluster, gates against the serving version, publishes and announces.
   */
  private RetrainWorker retrainWorker(Settings s, Path registry, String servers, Topics topics)
      throws Exception {
    DataSpec data =
        s.data() != null
            ? DataSpec.movieLens(s.data(), "time")
            : DataSpec.synthetic(s.synthetic(), "time");
    return inProcessRetrainWorker(
        data,
        s.retrainBudget(),
        registry,
        servers,
        topics,
        line -> out.println("\n[retrain] " + line));
  }

  /**
   * The retrain job as the demo and {@code evaluate} run it in process: random search with
   * asynchronous halving over {@code budget} trials of at most 9 epochs on one shared local Flink
   * cluster, no gate margin, publishing into {@code registry} and announcing on {@code servers}.
   */
  static RetrainWorker inProcessRetrainWorker(
      DataSpec data,
      int budget,
      Path registry,
      String servers,
      Topics topics,
      java.util.function.Consumer<String> log)
      throws Exception {
    RetrainService service =
        new RetrainService(
            new RetrainService.Settings(
                data,
                budget,
                "random",
                "asha",
                0.0,
                ModelConfig.defaults().toBuilder().epochs(9).build()),
            FlinkTrialExecutor.local(2),
            new ModelRegistry(registry.toUri().toString()),
            new ModelAnnouncer(servers, topics),
            log);
    return new RetrainWorker(service, servers, topics, log);
  }

  /** Waits until every retrain request seen has been handled and its swap, if any, reported. */
  private void awaitRetrains(RetrainWorker worker, OutputCollector collector)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (worker.outcomes().size() < collector.retrainRequests().size()
        && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    long promoted = worker.outcomes().stream().filter(RetrainService.Outcome::promoted).count();
    long swapDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (promoted > 0
        && collector.reports().stream().noneMatch(r -> r.getKind().equals("swap"))
        && System.nanoTime() < swapDeadline) {
      Thread.sleep(200);
    }
  }

  /** Each retrain outcome, with the swaps the job reported. */
  private static Map<String, Object> retrains(RetrainWorker worker, OutputCollector collector) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    List<Map<String, Object>> outcomes = new ArrayList<>();
    if (worker != null) {
      for (RetrainService.Outcome o : worker.outcomes()) {
        Map<String, Object> e = new java.util.LinkedHashMap<>();
        e.put("request_id", o.requestId());
        e.put("version", o.version());
        e.put("promoted", o.promoted());
        e.put("reason", o.reason());
        e.put("seconds", o.seconds());
        outcomes.add(e);
      }
    }
    m.put("outcomes", outcomes);
    m.put(
        "swaps",
        collector.reports().stream()
            .filter(r -> r.getKind().equals("swap"))
            .map(r -> r.getModelVersion() + ": " + r.getMessage())
            .distinct()
            .toList());
    m.put(
        "rejections",
        collector.reports().stream()
            .filter(r -> r.getKind().equals("rejection"))
            .map(r -> r.getModelVersion() + ": " + r.getMessage())
            .distinct()
            .toList());
    return m;
  }

  private static void checkJobAlive(JobClient job) throws Exception {
    var status = job.getJobStatus().get();
    if (status.isGloballyTerminalState()) {
      job.getJobExecutionResult().get(); // throws with the job's failure cause
      throw new IllegalStateException("scoring job ended early: " + status);
    }
  }

  /** Random bytes and foreign records, as a misbehaving producer would write them. */
  private static void injectCorrupt(ReplayProducer replay, int n) {
    Random rnd = new Random(7);
    for (int i = 0; i < n; i++) {
      byte[] junk;
      if (i % 2 == 0) {
        junk = new byte[1 + rnd.nextInt(40)];
        rnd.nextBytes(junk);
      } else {
        junk = ("not avro #" + i).getBytes(StandardCharsets.UTF_8);
      }
      replay.sendRawEvent("corrupt-" + i, junk);
    }
  }

  /**
   * Sends the end-of-replay markers ({@link ReplayProducer#sendEndMarkers}) one window plus the
   * out-of-orderness after the last live event, so the last monitor window closes.
   *
   * @return the end of the last window that holds live events, epoch ms
   */
  private long sendEndMarkers(
      ReplayProducer replay, List<Rating> live, MonitorSettings monitors, int partitions) {
    long window = monitors.window().toMillis();
    long last = live.stream().mapToLong(Rating::timestamp).max().orElse(0) * 1000;
    long markerTime = last + window + monitors.maxOutOfOrderness().toMillis() + 60_000;
    long n = replay.sendEndMarkers(live, partitions, 4, markerTime, "end-");
    out.printf(
        "end of replay: %d marker events at %s close the last monitor window%n",
        n, java.time.Instant.ofEpochMilli(markerTime));
    return last - Math.floorMod(last, window) + window;
  }

  /** Waits (up to 30 s) for the drift, error and latency reports of the last window. */
  private static void awaitWindowReports(OutputCollector collector, long lastWindowEnd)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline
        && !List.of("drift", "error", "latency").stream()
            .allMatch(
                kind ->
                    collector.reports().stream()
                        .anyMatch(
                            r -> r.getKind().equals(kind) && r.getWindowEnd() >= lastWindowEnd))) {
      Thread.sleep(200);
    }
  }

  /** Writes the HTML monitoring report: the window reports and a mark per swapped-in version. */
  private void writeHtmlReport(
      Settings s,
      RatingData data,
      List<Rating> live,
      MonitorSettings monitors,
      OutputCollector collector)
      throws java.io.IOException {
    List<String> versions = collector.versions();
    Map<String, Long> firstEvents = collector.firstEventTimes();
    List<MonitorHtmlReport.SwapMark> swaps = new ArrayList<>();
    for (String v : versions.subList(Math.min(1, versions.size()), versions.size())) {
      swaps.add(new MonitorHtmlReport.SwapMark(v, firstEvents.get(v)));
    }
    String conditions =
        String.format(
            "%s; %,d live events replayed %s; %d-day event-time windows; %d partitions,"
                + " parallelism %d; written %s",
            data.source(),
            live.size(),
            s.rate() > 0 ? String.format("at %,.0f/s", s.rate()) : "as fast as possible",
            monitors.window().toDays(),
            s.partitions(),
            s.parallelism(),
            java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    new MonitorHtmlReport("streamrank demo: monitors", conditions, monitors.policy())
        .write(s.report(), collector.reports(), swaps);
    out.println("report written to " + s.report());
  }

  /**
   * Monitor windows sized to the replay: about twelve windows of whole days over the live range
   * (weekly for the built-in 84 days), a day of out-of-orderness per week of window, a request
   * after two breaching windows, and four windows of cooldown and request timeout.
   *
   * @return the monitor settings the job will run with
   */
  private MonitorSettings monitorSettings(Configuration conf, List<Rating> live) {
    long first = live.stream().mapToLong(Rating::timestamp).min().orElse(0);
    long last = live.stream().mapToLong(Rating::timestamp).max().orElse(0);
    long days = Math.max(1, Math.round((last - first) / 86_400.0 / 12));
    Duration window = Duration.ofDays(days);
    conf.set(ScoringOptions.MONITOR_WINDOW, window);
    conf.set(ScoringOptions.MONITOR_MAX_OUT_OF_ORDERNESS, window.dividedBy(7));
    conf.set(ScoringOptions.TRIGGER_WINDOWS, 2);
    conf.set(ScoringOptions.TRIGGER_MIN_NEW_LABELS, 1000L);
    conf.set(ScoringOptions.TRIGGER_COOLDOWN, window.multipliedBy(4));
    conf.set(ScoringOptions.TRIGGER_REQUEST_TIMEOUT, window.multipliedBy(4));
    out.printf("monitors: %d-day event-time windows, retrain after 2 breaching windows%n", days);
    return ScoringOptions.monitorSettings(conf);
  }

  /** The largest value of each drift signal over the window reports. */
  private static Map<String, Double> drift(OutputCollector collector) {
    Map<String, Double> d = new java.util.LinkedHashMap<>();
    d.put("prediction_psi", collector.maxFigure("drift", "prediction_psi"));
    d.put("rating_psi", collector.maxFigure("error", "rating_psi"));
    d.put("hour_psi", collector.maxFigure("drift", "hour_psi"));
    d.put("user_activity_psi", collector.maxFigure("drift", "user_activity_psi"));
    d.put("movie_popularity_psi", collector.maxFigure("drift", "movie_popularity_psi"));
    d.put("oov_rate", collector.maxFigure("drift", "oov_rate"));
    d.put("rmse_increase", collector.maxFigure("error", "rmse_increase"));
    return d;
  }

  private static List<Map<String, Object>> retrainRequests(OutputCollector collector) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (RetrainRequest r : collector.retrainRequests()) {
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("request_id", r.getRequestId());
      m.put("reason", r.getReason());
      m.put("serving_version", r.getServingVersion());
      m.put("window_start", java.time.Instant.ofEpochMilli(r.getWindowStart()).toString());
      m.put("window_end", java.time.Instant.ofEpochMilli(r.getWindowEnd()).toString());
      list.add(m);
    }
    return list;
  }

  /** Wall time from the first prediction's scoring to the last one's. */
  private static double scoringSeconds(OutputCollector collector) {
    long[] scored = collector.latencyTrace()[1];
    if (scored.length < 2) {
      return 0;
    }
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (long t : scored) {
      min = Math.min(min, t);
      max = Math.max(max, t);
    }
    return (max - min) / 1000.0;
  }

  private static double rmse(List<Rating> live, Map<String, Float> scores) {
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
    return n == 0 ? Double.NaN : Math.sqrt(sum / n);
  }

  private void report(DemoSummary summary, OutputCollector collector, Path file) throws Exception {
    out.println();
    out.println("summary");
    out.println(summary.toJson());
    if (!collector.deadLetters().isEmpty()) {
      var dl = collector.deadLetters().get(0);
      out.printf(
          "first dead letter: %s[%d]@%d: %s%n",
          dl.getSourceTopic(), dl.getPartition(), dl.getOffset(), dl.getReason());
    }
    if (file != null) {
      Files.writeString(file, summary.toJson());
      out.println("summary written to " + file);
    }
    if (summary.lostOrDuplicated()) {
      out.printf(
          "FAILED: %d events in, %d predictions + %d dead letters out, %d duplicates%n",
          summary.eventsIn(),
          summary.predictionsOut(),
          summary.deadLetters(),
          summary.duplicates());
    }
  }

  /** Prints one live line a second. */
  private static final class Progress implements Runnable {
    private final PrintStream out;
    private final ReplayProducer replay;
    private final OutputCollector collector;
    private volatile boolean running = true;

    Progress(PrintStream out, ReplayProducer replay, OutputCollector collector) {
      this.out = out;
      this.replay = replay;
      this.collector = collector;
    }

    void stop() {
      running = false;
    }

    @Override
    public void run() {
      long last = 0;
      long lastTime = System.nanoTime();
      while (running) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        long now = System.nanoTime();
        long done = collector.predictions();
        List<String> versions = collector.versions();
        out.printf(
            "\rsent %,9d | predictions %,9d | %,7.0f ev/s | dead letters %,4d | p99 %4d ms | model"
                + " %s | psi %.3f | rmse %.3f | retrain %d   ",
            replay.sentSoFar(),
            done,
            (done - last) / ((now - lastTime) / 1e9),
            collector.deadLetterCount(),
            collector.latencyQuantile(0.99),
            versions.isEmpty() ? "-" : versions.get(versions.size() - 1),
            collector.latestFigure("drift", "prediction_psi"),
            collector.latestFigure("error", "rmse"),
            collector.retrainRequests().size());
        out.flush();
        last = done;
        lastTime = now;
      }
      out.println();
    }
  }
}
