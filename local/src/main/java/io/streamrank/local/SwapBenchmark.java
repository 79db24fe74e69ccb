package io.streamrank.local;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.ModelAnnouncer;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.ModelProvider;
import io.streamrank.streaming.ScoringOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Measures what a hot swap costs the stream, in one run: events flow at a fixed rate, a new version
 * is announced halfway, and the figures compare the window around the swap with the steady state
 * before and after it.
 */
public final class SwapBenchmark {
  /**
   * Benchmark settings.
   *
   * @param rate events per second
   * @param seconds length of the stream
   * @param windowSeconds width of the window around the swap
   * @param parallelism Flink parallelism (and partitions)
   * @param warmUpSeconds untimed events at {@code rate} before the measured stream, so the JIT has
   *     compiled the pipeline's code paths before the clock starts (without it C2 still takes most
   *     of a core 50 s into a run, and its pauses are the longest steady-state gaps)
   */
  public record Settings(
      double rate,
      int seconds,
      int windowSeconds,
      int parallelism,
      int warmUpSeconds,
      Map<String, String> jobSettings,
      ClusterLayout cluster) {
    public Settings {
      jobSettings = Map.copyOf(jobSettings);
      KafkaScoringJob.settings(jobSettings); // names an unknown key before anything starts
    }

    /** Settings with the scoring job's defaults, in this JVM. */
    public Settings(
        double rate, int seconds, int windowSeconds, int parallelism, int warmUpSeconds) {
      this(rate, seconds, windowSeconds, parallelism, warmUpSeconds, Map.of(), null);
    }
  }

  /**
   * The production layout instead of one JVM: the broker, the JobManager and {@code parallelism}
   * one-slot TaskManagers each in a JVM of its own ({@link ProcessCluster}), the job submitted as
   * its job jar; only the producer and the collector stay in this JVM.
   *
   * @param workDir the cluster's directory (configuration, logs, checkpoints)
   * @param flinkLib Flink's lib/ directory
   * @param jobJar the scoring job's jar
   */
  public record ClusterLayout(Path workDir, Path flinkLib, Path jobJar) {}

  /**
   * The figures.
   *
   * @param steadyP99 p99 processing latency outside the swap window, ms
   * @param swapP99 p99 processing latency inside the window, ms
   * @param steadyMaxGap longest gap between consecutive predictions outside the window, ms
   * @param swapMaxGap longest gap between consecutive predictions inside the window, ms
   * @param predictions predictions read back
   * @param inWindow predictions inside the window
   * @param steadyMaxGapEnd scored wall time (epoch ms) of the prediction that ended the longest
   *     steady-state gap, to line it up with a profile's GC pauses and checkpoints
   * @param swapMaxGapEnd the same for the longest gap around the swap
   * @param steadyMaxGapWait the longest any prediction that ended the longest steady gap had waited
   *     in the scoring operator, ms: about the gap when events waited there through it (the
   *     operator was stalled), short when none arrived during it (the stall was upstream: producer,
   *     broker, source)
   * @param swapMaxGapWait the same for the longest gap around the swap
   */
  public record Result(
      long steadyP99,
      long swapP99,
      long steadyMaxGap,
      long swapMaxGap,
      long predictions,
      long inWindow,
      long steadyMaxGapEnd,
      long swapMaxGapEnd,
      long steadyMaxGapWait,
      long swapMaxGapWait,
      long nearSwapMaxGap) {
    public double p99Ratio() {
      return (double) swapP99 / Math.max(1, steadyP99);
    }

    public double gapOverSteadyP99() {
      return (double) swapMaxGap / Math.max(1, steadyP99);
    }

    public double nearSwapGapOverSteadyP99() {
      return (double) nearSwapMaxGap / Math.max(1, steadyP99);
    }
  }

  /**
   * Half the width of the stretch right around the swap whose longest gap is printed besides the
   * window's: the load, the swap and the first batches of the new version, not the window's
   * checkpoints and GC pauses that the steady state has too.
   */
  static final long NEAR_SWAP_MS = 1000;

  private final PrintStream out;
  private Path trace;

  public SwapBenchmark(PrintStream out) {
    this.out = out;
  }

  /**
   * Also writes every measured prediction to {@code file} as CSV: scored time (epoch ms) and wait
   * in the scoring operator (ms), after a {@code # swap at} line; {@code docs/swap_gaps.py} lines
   * its gaps up with a JVM safepoint log.
   */
  public SwapBenchmark traceTo(Path file) {
    this.trace = file;
    return this;
  }

  public Result run(Settings s) throws Exception {
    int events = (int) (s.rate() * s.seconds());
    InitialModel.Fixture fixture = InitialModel.benchmarkFixture(Math.max(20_000, events));
    Split split = fixture.split();
    Path dir = fixture.registry();
    ModelConfig cfg = fixture.config();
    InitialModel.Trained v1 = fixture.model();
    List<Rating> all = new ArrayList<>(split.train());
    all.addAll(split.valid());
    all.addAll(split.test());
    RankingModel m2 =
        new Trainer()
            .train(
                split.train(),
                split.valid(),
                cfg.toBuilder().seed(2).build(),
                TrainingListener.NONE);
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    BundleRef v2 =
        Bundles.exportAndPublish(registry, m2, "v2-bench", v1.version(), split.valid(), Map.of());
    Manifest manifest = registry.load(v2.version()).manifest();
    List<Rating> stream = new ArrayList<>();
    while (stream.size() < events) {
      stream.addAll(all.subList(0, Math.min(all.size(), events - stream.size())));
    }
    Topics topics = Topics.defaults();
    out.printf(
        "swap benchmark: %,d events at %,.0f ev/s after %d s of untimed warm-up at that rate,"
            + " parallelism %d, swap announced at %d s, window ±%d s, %d cores%n",
        events,
        s.rate(),
        s.warmUpSeconds(),
        s.parallelism(),
        s.seconds() / 2,
        s.windowSeconds() / 2,
        Runtime.getRuntime().availableProcessors());
    out.printf(
        "scoring job settings: %s; layout: %s%n",
        s.jobSettings().isEmpty() ? "defaults" : s.jobSettings(),
        s.cluster() == null
            ? "one JVM (embedded broker, MiniCluster, producer, collector)"
            : "process cluster (broker, JobManager, "
                + s.parallelism()
                + " one-slot TaskManagers in JVMs of their own; producer and collector here)");
    try (Deployment job =
        s.cluster() == null
            ? inThisJvm(s, v1.provider(), topics)
            : onProcessCluster(s, dir, v1.version())) {
      String bootstrap = job.bootstrapServers();
      try (OutputCollector collector = OutputCollector.withoutPerEventRecords(bootstrap, topics);
          ReplayProducer replay = new ReplayProducer(bootstrap, topics);
          ModelAnnouncer announcer = new ModelAnnouncer(bootstrap, topics);
          GcPauses gc = new GcPauses()) {
        Thread reader = new Thread(collector, "bench-collector");
        reader.setDaemon(true);
        reader.start();
        // Warm-up: the job must be scoring, and its code compiled, before the clock starts.
        replay.replay(stream.subList(0, 1000), 0, "start-");
        waitFor(() -> collector.predictions() >= 1000, Duration.ofSeconds(120));
        int warmUp = (int) Math.min(events, s.rate() * s.warmUpSeconds());
        replay.replay(stream.subList(0, warmUp), s.rate(), "warm-");
        long untimed = 1000L + warmUp;
        waitFor(() -> collector.predictions() >= untimed, Duration.ofSeconds(120));
        // The announcement goes out halfway from a thread of its own, as a retrain job's does from
        // its own process, while the replay keeps its pace. Announced in line, the send's round
        // trips (the announcer's first: metadata and a producer id) held the replay, and the
        // offered stream had a hole right before every swap.
        long announceAt = replay.sentSoFar() + events / 2;
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos((long) (events / s.rate()) + 60);
        CompletableFuture<Void> announced =
            CompletableFuture.runAsync(
                () -> {
                  while (replay.sentSoFar() < announceAt) {
                    if (System.nanoTime() > giveUp) {
                      throw new IllegalStateException("the replay never reached halfway");
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                  }
                  try {
                    announcer.announce(ModelAnnouncer.announcement(v2, manifest, false));
                  } catch (Exception e) {
                    throw new CompletionException(e);
                  }
                },
                // Its own thread: the wait parks for seconds, which must not hold a pool's worker.
                task -> {
                  Thread t = new Thread(task, "bench-announcer");
                  t.setDaemon(true);
                  t.start();
                });
        replay.replay(stream.subList(0, events), s.rate(), "m-");
        announced.get(60, TimeUnit.SECONDS);
        replay.flush();
        waitFor(() -> collector.predictions() >= untimed + events, Duration.ofSeconds(120));
        job.cancel().run();
        collector.close();
        reader.join(10_000);
        long swapAt =
            collector.reports().stream()
                .filter(r -> r.getKind().equals("swap"))
                .mapToLong(MonitorReport::getWindowStart)
                .min()
                .orElseThrow(() -> new IllegalStateException("no swap was reported"));
        long[][] latencies = collector.latencyTrace();
        if (trace != null) {
          writeTrace(latencies, swapAt, (int) untimed, trace);
          out.println("trace of the " + events + " measured predictions: " + trace);
        }
        Result r = analyse(latencies, swapAt, s.windowSeconds() * 1000L / 2, (int) untimed);
        out.printf(
            "steady p99 %d ms | swap-window p99 %d ms | ratio %.2f (goal <= 1.5)%n"
                + "longest gap between predictions: steady %d ms, around the swap %d ms = %.2f x steady p99"
                + " (goal <= 2)%n%,d predictions, %,d in the swap window; longest gaps ended at %s"
                + " (steady) and %s (swap)%n",
            r.steadyP99(),
            r.swapP99(),
            r.p99Ratio(),
            r.steadyMaxGap(),
            r.swapMaxGap(),
            r.gapOverSteadyP99(),
            r.predictions(),
            r.inWindow(),
            java.time.Instant.ofEpochMilli(r.steadyMaxGapEnd()),
            java.time.Instant.ofEpochMilli(r.swapMaxGapEnd()));
        out.printf(
            "longest gap within %d s of the swap (the load, the swap, the new version's first"
                + " batches): %d ms = %.2f x steady p99%n",
            NEAR_SWAP_MS / 1000, r.nearSwapMaxGap(), r.nearSwapGapOverSteadyP99());
        out.printf(
            "predictions ending the longest gaps had waited up to %d ms (steady) and %d ms (swap)"
                + " in the scoring operator: about the gap when scoring stalled, short when no"
                + " events arrived%n",
            r.steadyMaxGapWait(), r.swapMaxGapWait());
        if (s.cluster() == null) {
          printPauseWithin(gc, "steady", r.steadyMaxGapEnd(), r.steadyMaxGap());
          printPauseWithin(gc, "swap", r.swapMaxGapEnd(), r.swapMaxGap());
        } else {
          out.println(
              "GC pauses: the job's are in the TaskManagers' JVMs, not measured here (their gc"
                  + " logs: "
                  + s.cluster().workDir().resolve("log")
                  + ")");
        }
        return r;
      }
    }
  }

  /**
   * A running scoring job and the broker it reads from and writes to.
   *
   * @param cancel cancels the job
   * @param owner what closing the deployment shuts down (the broker, or the whole cluster)
   */
  private record Deployment(String bootstrapServers, Cancel cancel, AutoCloseable owner)
      implements AutoCloseable {
    interface Cancel {
      void run() throws Exception;
    }

    @Override
    public void close() throws Exception {
      owner.close();
    }
  }

  /** The broker and a MiniCluster in this JVM, the job built from {@code provider}. */
  private static Deployment inThisJvm(Settings s, ModelProvider provider, Topics topics)
      throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start();
    try {
      kafka.createTopics(topics, s.parallelism());
      Configuration conf = KafkaScoringJob.settings(s.jobSettings());
      conf.set(ScoringOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      conf.set(ScoringOptions.GATE_MARGIN, 1.0);
      StreamExecutionEnvironment env = LocalFlink.environment(s.parallelism(), false, 8081);
      KafkaScoringJob.configure(env, conf);
      KafkaScoringJob.create(conf, provider).build(env);
      JobClient job = env.executeAsync("swap benchmark");
      return new Deployment(kafka.bootstrapServers(), () -> job.cancel().get(), kafka);
    } catch (Exception e) {
      kafka.close();
      throw e;
    }
  }

  /**
   * A {@link ProcessCluster} of one-slot TaskManagers, the job submitted from its jar through the
   * REST endpoint, serving {@code version} of the registry in {@code registryDir}.
   */
  private static Deployment onProcessCluster(Settings s, Path registryDir, String version)
      throws Exception {
    ClusterLayout layout = s.cluster();
    ProcessCluster cluster =
        ProcessCluster.start(
            ProcessCluster.Settings.defaults(layout.workDir(), layout.flinkLib())
                .withTaskManagers(s.parallelism(), 1)
                .withPartitions(s.parallelism())
                .withFlinkJavaOptions(
                    List.of(
                        "-Xlog:gc:file=" + layout.workDir().resolve("log").resolve("gc-%p.log"))));
    try {
      FlinkRestClient rest = cluster.rest();
      List<String> args = new ArrayList<>();
      Map<String, String> settings = new java.util.LinkedHashMap<>(s.jobSettings());
      settings.put(ScoringOptions.BOOTSTRAP_SERVERS.key(), cluster.bootstrapServers());
      settings.put(ScoringOptions.REGISTRY.key(), registryDir.toUri().toString());
      settings.put(ScoringOptions.MODEL_VERSION.key(), version);
      settings.put(ScoringOptions.GATE_MARGIN.key(), "1.0");
      settings.forEach(
          (k, v) -> {
            args.add("--" + k);
            args.add(v);
          });
      String jobId =
          rest.run(
              rest.uploadJar(layout.jobJar()),
              KafkaScoringJob.class.getName(),
              args,
              s.parallelism(),
              null);
      return new Deployment(cluster.bootstrapServers(), () -> rest.cancel(jobId), cluster);
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
  }

  /** Says which GC pause, if any, fell inside a gap: the JVM stops every thread, scoring too. */
  private void printPauseWithin(GcPauses gc, String which, long gapEnd, long gap) {
    GcPauses.Pause p = gc.longestEndingBetween(gapEnd - gap, gapEnd);
    out.println(
        p == null
            ? "no GC pause ended inside the longest " + which + " gap"
            : String.format(
                "the longest %s gap (%d ms) holds a %d ms GC pause (%s) that ended %d ms before it",
                which, gap, p.durationMs(), p.collector(), gapEnd - p.endEpochMs()));
  }

  static void writeTrace(long[][] trace, long swapAt, int skipWarmUp, Path file)
      throws java.io.IOException {
    StringBuilder csv = new StringBuilder("# swap at " + swapAt + "\nscored_ms,wait_ms\n");
    for (int i = skipWarmUp; i < trace[0].length; i++) {
      csv.append(trace[1][i]).append(',').append(trace[0][i]).append('\n');
    }
    java.nio.file.Files.writeString(file, csv);
  }

  /** Splits the trace at the swap window and computes both sides' figures. */
  static Result analyse(long[][] trace, long swapAt, long halfWindowMs, int skipWarmUp) {
    long[] latency = Arrays.copyOfRange(trace[0], skipWarmUp, trace[0].length);
    long[] scored = Arrays.copyOfRange(trace[1], skipWarmUp, trace[1].length);
    List<Long> steadyLat = new ArrayList<>();
    List<Long> swapLat = new ArrayList<>();
    for (int i = 0; i < latency.length; i++) {
      (Math.abs(scored[i] - swapAt) <= halfWindowMs ? swapLat : steadyLat).add(latency[i]);
    }
    // Each prediction as (scored time, latency) packed in one long, sorted by scored time.
    long[] times = new long[scored.length];
    for (int i = 0; i < scored.length; i++) {
      times[i] = scored[i] << LATENCY_BITS | Math.min(Math.max(latency[i], 0), LATENCY_MASK);
    }
    Arrays.sort(times);
    long steadyGap = 0;
    long swapGap = 0;
    long nearSwapGap = 0;
    int steadyGapEnd = 0;
    int swapGapEnd = 0;
    for (int i = 1; i < times.length; i++) {
      long end = times[i] >>> LATENCY_BITS;
      long start = times[i - 1] >>> LATENCY_BITS;
      long gap = end - start;
      if (touches(start, end, swapAt, NEAR_SWAP_MS)) {
        nearSwapGap = Math.max(nearSwapGap, gap);
      }
      if (touches(start, end, swapAt, halfWindowMs)) {
        if (gap > swapGap) {
          swapGap = gap;
          swapGapEnd = i;
        }
      } else if (gap > steadyGap) {
        steadyGap = gap;
        steadyGapEnd = i;
      }
    }
    return new Result(
        p99(steadyLat),
        p99(swapLat),
        steadyGap,
        swapGap,
        latency.length,
        swapLat.size(),
        times[steadyGapEnd] >>> LATENCY_BITS,
        times[swapGapEnd] >>> LATENCY_BITS,
        longestWaitScoredWith(times, steadyGapEnd),
        longestWaitScoredWith(times, swapGapEnd),
        nearSwapGap);
  }

  /** Whether a gap from {@code start} to {@code end} reaches within {@code halfMs} of the swap. */
  private static boolean touches(long start, long end, long swapAt, long halfMs) {
    return Math.abs(end - swapAt) <= halfMs || Math.abs(start - swapAt) <= halfMs;
  }

  private static final int LATENCY_BITS = 20;
  private static final long LATENCY_MASK = (1L << LATENCY_BITS) - 1;

  /** The longest latency of the predictions scored at the same time as {@code times[i]}. */
  private static long longestWaitScoredWith(long[] times, int i) {
    long at = times[i] >>> LATENCY_BITS;
    long longest = 0;
    for (int j = i; j < times.length && times[j] >>> LATENCY_BITS == at; j++) {
      longest = Math.max(longest, times[j] & LATENCY_MASK);
    }
    return longest;
  }

  private static long p99(List<Long> values) {
    if (values.isEmpty()) {
      return 0;
    }
    long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
    return v[(int) Math.min(v.length - 1, Math.ceil(0.99 * v.length) - 1)];
  }

  private static void waitFor(java.util.function.BooleanSupplier c, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("benchmark timed out after " + timeout);
      }
      Thread.sleep(50);
    }
  }
}
