package io.streamrank.retrain;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.model.Metrics;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * The tuning pipeline: propose points, run them as parallel trials, optionally prune with
 * successive halving, then train the best configuration to completion on train+validation and
 * evaluate it on the test slice, next to the library defaults on the same split.
 *
 * <p>Pruning uses successive halving with reduction factor 3 over rungs of 1, 3, 9, ... epochs, the
 * last one the full epoch budget. A promoted configuration resumes its training where its rung left
 * it (weights, optimizer state, epoch counter: {@link PausedTrials}), so promotion costs only the
 * epochs the next rung adds. {@code sha} is synchronous: every configuration runs the first rung,
 * the best third goes on, and so on; each rung is one round of parallel trials. {@code asha} is
 * asynchronous (Li et al., "A System for Massively Parallel Hyperparameter Tuning", 2020): whenever
 * a task slot is free it promotes a configuration that ranks in the top third of the results its
 * rung has so far (highest rung first), or else starts a new configuration on the first rung, so no
 * slot waits for a rung to finish and a model-based searcher learns from every first-rung result.
 * Once no new configuration is left, a free slot promotes a configuration that ranks in the top
 * third (rounded up) of the most results its rung can still get, rather than wait for the rung's
 * last results, so no slot idles while a promotion is open. In a tuning session ({@link
 * FlinkTrialExecutor#sessions}) every trial goes to a free worker task of the session's one job as
 * soon as it is decided; with a job per round, new first-rung configurations go up to three to a
 * Flink job (one task), sharing its fixed cost. Trials that went no further are reported as pruned.
 * Without pruning ({@code none}) the same asynchronous workers train every configuration to the
 * full budget (or early stopping) in one rung, so a slot never waits for another's trial and the
 * grid, random and TPE searches compare with and without pruning on the same path.
 */
public final class Tuner {
  static final int ETA = 3;

  private final FlinkTrialExecutor executor;
  private final SearchSpace space;
  private final ModelConfig base;
  private final Consumer<String> log;

  /**
   * @param executor runs rounds of trials
   * @param space what to search
   * @param base the configuration trials override (its epochs are the full budget)
   * @param log progress lines
   */
  public Tuner(
      FlinkTrialExecutor executor, SearchSpace space, ModelConfig base, Consumer<String> log) {
    this.executor = executor;
    this.space = space;
    this.base = base;
    this.log = log;
  }

  /**
   * What a tuning run found.
   *
   * @param best the trial with the lowest validation RMSE
   * @param defaultValidRmse the library defaults' validation RMSE on the same data
   * @param defaultFeaturesValidRmse the defaults' with the streaming features on, when the space
   *     chooses the features and the data has them off; NaN otherwise
   * @param testRmse the best configuration's test RMSE after a refit on train+validation
   * @param defaultTestRmse the defaults' test RMSE after the same refit
   * @param trials every trial, in the order the tuner had their results
   * @param model the refit model of the best configuration
   * @param bestConfig its configuration
   * @param bestData the data it trained on (with or without the streaming features)
   * @param sessionSeconds wall time until the tuning session's workers were up, before the search
   *     (0 when they were up from an earlier search)
   * @param searchSeconds wall time of the search (trials only)
   * @param wallSeconds wall time of the run: the session's start, the search, the defaults' trial
   *     and the refits
   */
  public record Outcome(
      TrialResult best,
      double defaultValidRmse,
      double defaultFeaturesValidRmse,
      double testRmse,
      double defaultTestRmse,
      List<TrialResult> trials,
      RankingModel model,
      ModelConfig bestConfig,
      DataSpec bestData,
      double sessionSeconds,
      double searchSeconds,
      double wallSeconds) {}

  /**
   * Tunes on the data.
   *
   * @param budget configurations to try
   * @param algo grid, random or tpe
   * @param pruner none, sha (synchronous successive halving) or asha (asynchronous)
   */
  public Outcome tune(DataSpec data, int budget, String algo, String pruner, long seed)
      throws Exception {
    try {
      return tuneInSession(data, budget, algo, pruner, seed);
    } finally {
      // Trials, rungs and the defaults' trial share one session; on a shared cluster its job ends
      // with the run.
      executor.searchEnded();
    }
  }

  private Outcome tuneInSession(DataSpec data, int budget, String algo, String pruner, long seed)
      throws Exception {
    if (budget <= 0) {
      throw new IllegalArgumentException("budget must be > 0, got " + budget);
    }
    String prunerName = pruner.toLowerCase(Locale.ROOT);
    if (!List.of("none", "sha", "asha").contains(prunerName)) {
      throw new IllegalArgumentException(
          "unknown pruner '" + pruner + "', expected none, sha or asha");
    }
    long begun = System.nanoTime();
    // Fix the end of a topic slice once, so every trial and the refits read the same records.
    data = data.pinned();
    // The workers start (or are up from an earlier search) before the search's clock starts: the
    // clock measures the search, as it never measured the cluster's own start.
    executor.startSession(data);
    long start = System.nanoTime();
    double sessionSeconds = (start - begun) / 1e9;
    Map<String, Object> defaultPoint = defaultPoint(data);
    Searcher searcher = Searcher.named(algo, space, defaultPoint, budget, seed);
    if (!algo.equalsIgnoreCase("grid")) {
      searcher = Searcher.startingAt(defaultPoint, searcher);
    }
    String run = "tune-" + UUID.randomUUID() + "/";
    List<TrialResult> trials;
    try {
      trials =
          switch (prunerName) {
            case "sha" -> halving(searcher, data, budget, start, run);
            // Unpruned is asynchronous halving with one rung, the full budget: the same workers,
            // one trial per free slot, so the grid's trials wait for no round to finish either.
            case "none" -> new AsyncHalving(searcher, data, budget, start, run, false).run();
            default -> new AsyncHalving(searcher, data, budget, start, run, true).run();
          };
    } finally {
      PausedTrials.release(run);
    }
    double searchSeconds = (System.nanoTime() - start) / 1e9;
    TrialResult best =
        trials.stream()
            .filter(t -> Double.isFinite(t.bestValidRmse()))
            .min(Comparator.comparingDouble(TrialResult::bestValidRmse))
            .orElseThrow(() -> new IllegalStateException("no trial reached a finite RMSE"));
    List<TrialSpec> defaultSpecs = new ArrayList<>();
    defaultSpecs.add(new TrialSpec("defaults", defaultPoint, base.epochs()));
    boolean compareFeatures = space.searchesStreamingFeatures() && !data.streamingFeatures();
    if (compareFeatures) {
      Map<String, Object> withFeatures = new LinkedHashMap<>(defaultPoint);
      withFeatures.put(SearchSpace.STREAMING_FEATURES, true);
      defaultSpecs.add(new TrialSpec("defaults-features", withFeatures, base.epochs()));
    }
    List<TrialResult> defaultRuns = executor.run(defaultSpecs, data, base);
    TrialResult defaults = defaultRuns.get(0);
    DataSpec bestData = SearchSpace.data(data, best.point());
    DataSpec.Loaded loaded = bestData.load();
    ModelConfig bestConfig =
        SearchSpace.apply(base, best.point()).toBuilder()
            .epochs(best.bestEpoch())
            .numFeatures(loaded.numFeatures())
            .build();
    RankingModel model = refit(loaded, bestConfig);
    double testRmse = testRmse(model, loaded);
    DataSpec.Loaded defaultLoaded = data.load();
    double defaultTestRmse =
        testRmse(
            refit(
                defaultLoaded,
                base.toBuilder()
                    .epochs(defaults.bestEpoch())
                    .numFeatures(defaultLoaded.numFeatures())
                    .build()),
            defaultLoaded);
    log.accept(
        String.format(
            "best %s: valid RMSE %.4f (defaults %.4f), test RMSE after refit %.4f (defaults %.4f)",
            best.id(), best.bestValidRmse(), defaults.bestValidRmse(), testRmse, defaultTestRmse));
    return new Outcome(
        best,
        defaults.bestValidRmse(),
        compareFeatures ? defaultRuns.get(1).bestValidRmse() : Double.NaN,
        testRmse,
        defaultTestRmse,
        trials,
        model,
        bestConfig,
        bestData,
        sessionSeconds,
        searchSeconds,
        (System.nanoTime() - begun) / 1e9);
  }

  /** Trains to completion on train+validation with the epoch count early stopping chose. */
  static RankingModel refit(DataSpec.Loaded data, ModelConfig cfg) {
    Split split = data.split();
    List<Rating> all = new ArrayList<>(split.train());
    all.addAll(split.valid());
    float[][] features = null;
    if (data.trainFeatures() != null) {
      features = new float[all.size()][];
      System.arraycopy(data.trainFeatures(), 0, features, 0, split.train().size());
      System.arraycopy(
          data.validFeatures(), 0, features, split.train().size(), split.valid().size());
    }
    return new Trainer()
        .train(
            all,
            features,
            List.of(),
            features == null ? null : new float[0][],
            cfg.toBuilder().patience(Integer.MAX_VALUE / 2).build(),
            TrainingListener.NONE);
  }

  static double testRmse(RankingModel model, DataSpec.Loaded data) {
    float[] predicted = Metrics.predict(model, data.split().test(), data.testFeatures());
    float[] actual = Metrics.labels(data.split().test());
    return Metrics.rmse(predicted, actual, actual.length);
  }

  /** The library defaults as a point, with the data's features choice when the space has one. */
  private Map<String, Object> defaultPoint(DataSpec data) {
    Map<String, Object> p = SearchSpace.point(base);
    if (space.searchesStreamingFeatures()) {
      p.put(SearchSpace.STREAMING_FEATURES, data.streamingFeatures());
    }
    return p;
  }

  private static double since(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  /** Runs a round and stamps its results with when the tuner had them and the round's time. */
  private List<TrialResult> round(List<TrialSpec> specs, DataSpec data, long start)
      throws Exception {
    long submitted = System.nanoTime();
    List<TrialResult> results = executor.run(specs, data, base);
    double at = since(start);
    double job = since(submitted);
    return results.stream().map(r -> r.finishedAt(at, job)).toList();
  }

  /** Epoch budgets of the rungs: 1, 3, 9, ... below the full budget, then the full budget. */
  private int[] rungBudgets() {
    List<Integer> rungs = new ArrayList<>();
    for (int b = 1; b < base.epochs(); b *= ETA) {
      rungs.add(b);
    }
    rungs.add(base.epochs());
    return rungs.stream().mapToInt(Integer::intValue).toArray();
  }

  private List<TrialResult> halving(
      Searcher searcher, DataSpec data, int budget, long start, String run) throws Exception {
    // Every point is proposed before the first rung runs: a model-based searcher has no results
    // to learn from yet (the asynchronous variant does).
    List<Map<String, Object>> points = new ArrayList<>(searcher.next(budget, List.of()));
    int[] budgets = rungBudgets();
    List<TrialResult> all = new ArrayList<>();
    List<Integer> alive = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      alive.add(i);
    }
    for (int rung = 0; rung < budgets.length && !alive.isEmpty(); rung++) {
      List<TrialSpec> specs = new ArrayList<>();
      for (int i : alive) {
        specs.add(new TrialSpec("t" + i + "-r" + rung, points.get(i), budgets[rung], run + i));
      }
      List<TrialResult> results = round(specs, data, start);
      boolean last = rung == budgets.length - 1;
      List<Integer> order = new ArrayList<>(alive);
      order.sort(Comparator.comparingDouble(i -> results.get(alive.indexOf(i)).bestValidRmse()));
      int keep = last ? order.size() : Math.max(1, (int) Math.ceil(order.size() / (double) ETA));
      List<Integer> top = order.subList(0, keep);
      List<Integer> next = new ArrayList<>();
      for (int k = 0; k < results.size(); k++) {
        TrialResult r = results.get(k);
        boolean converged = r.pastItsBest();
        boolean promoted = !last && !converged && top.contains(alive.get(k));
        if (promoted) {
          next.add(alive.get(k));
        }
        // A converged configuration keeps its place in the top third but is not run again.
        all.add(r.withStatus(promoted ? "promoted" : last || converged ? "completed" : "pruned"));
      }
      log.accept(
          String.format(
              "rung %d (%d epochs): %d trials, %d go on; %s",
              rung, budgets[rung], results.size(), next.size(), progress(rung + 1, all)));
      alive.clear();
      alive.addAll(next);
    }
    return all;
  }

  /**
   * Asynchronous successive halving: one worker per task slot asks for the next trial as soon as
   * its last one finished; every decision is taken under one lock.
   */
  private final class AsyncHalving {
    private final Searcher searcher;
    private final DataSpec data;
    private final int budget;
    private final long start;
    private final String run;
    private final int[] budgets;
    private final List<Map<String, Object>> points = new ArrayList<>();

    /** Per rung: the configurations with a result there and their validation RMSE. */
    private final List<Map<Integer, Double>> rungs = new ArrayList<>();

    /** Per rung: the configurations promoted from it. */
    private final List<Set<Integer>> promoted = new ArrayList<>();

    private final int[] running;
    private final List<Done> finished = new ArrayList<>();
    private final List<TrialResult> firstRung = new ArrayList<>();

    /** Configurations whose last trial stopped early: a longer budget would repeat its curve. */
    private final Set<Integer> converged = new HashSet<>();

    private Exception failure;

    /**
     * @param prune whether to prune: rungs of 1, 3, 9, ... epochs ({@link #rungBudgets}); without,
     *     one rung of the full budget, every configuration trained to it (or to early stopping)
     */
    AsyncHalving(
        Searcher searcher, DataSpec data, int budget, long start, String run, boolean prune) {
      this.budgets = prune ? rungBudgets() : new int[] {base.epochs()};
      this.searcher = searcher;
      this.data = data;
      this.budget = budget;
      this.start = start;
      this.run = run;
      for (int k = 0; k < budgets.length; k++) {
        rungs.add(new LinkedHashMap<>());
        promoted.add(new HashSet<>());
      }
      running = new int[budgets.length];
    }

    List<TrialResult> run() throws Exception {
      int workers = executor.parallelism();
      ExecutorService pool = Executors.newFixedThreadPool(workers);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
          done.add(
              pool.submit(
                  () -> {
                    work();
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      synchronized (this) {
        if (failure != null) {
          throw failure;
        }
        return finished.stream().map(this::withFinalStatus).toList();
      }
    }

    private void work() throws InterruptedException {
      while (true) {
        List<Job> jobs = new ArrayList<>();
        synchronized (this) {
          Job job;
          while ((job = next()) == null && failure == null && busy()) {
            wait();
          }
          if (job == null || failure != null) {
            notifyAll();
            return;
          }
          jobs.add(job);
          // With a job per round, new first-rung configurations go in batches, each job's fixed
          // cost shared by up to ETA of them, leaving the other slots their share of what is left.
          // In a session a trial costs no job: one at a time, so every result counts at once.
          int batch =
              executor.sessions()
                  ? 1
                  : Math.min(
                      ETA,
                      (int)
                          Math.ceil(
                              (budget - points.size() + 1) / (double) executor.parallelism()));
          while (job.rung == 0 && jobs.size() < batch && points.size() < budget) {
            job = next();
            jobs.add(job);
          }
        }
        try {
          long submitted = System.nanoTime();
          List<TrialSpec> specs = jobs.stream().map(Job::spec).toList();
          List<TrialResult> results = executor.run(specs, data, base, 1);
          double jobSeconds = since(submitted);
          for (int i = 0; i < jobs.size(); i++) {
            record(jobs.get(i), results.get(i), jobSeconds);
          }
        } catch (Exception e) {
          synchronized (this) {
            failure = e;
            notifyAll();
          }
          return;
        }
      }
    }

    private record Job(int config, int rung, TrialSpec spec) {}

    private record Done(Job job, TrialResult result) {}

    private boolean busy() {
      return Arrays.stream(running).sum() > 0;
    }

    /** The next trial: a promotion (highest rung first), else a new configuration, else none. */
    private Job next() {
      boolean more = points.size() < budget;
      int[] bound = mostResults();
      for (int k = budgets.length - 2; k >= 0; k--) {
        Map<Integer, Double> rung = rungs.get(k);
        // While new configurations remain a free slot can start one instead, so only the top
        // third of the results so far goes on (ASHA); after that, the top third of the most
        // results the rung can still get, so no slot waits for the rung's last results.
        int quota =
            more
                ? rung.size() / ETA
                : Math.min(rung.size(), (int) Math.ceil(bound[k] / (double) ETA));
        List<Integer> top =
            rung.entrySet().stream()
                .sorted(Map.Entry.comparingByValue())
                .limit(quota)
                .map(Map.Entry::getKey)
                .toList();
        for (int c : top) {
          // A converged configuration takes its place in the top third but is not run again.
          if (promoted.get(k).add(c) && !converged.contains(c)) {
            return start(c, k + 1);
          }
        }
      }
      if (more) {
        points.add(searcher.next(1, firstRung).get(0));
        return start(points.size() - 1, 0);
      }
      return null;
    }

    /**
     * Per rung, the most results it can end up with once no new configuration is left: the first
     * rung's is the budget; a later rung's, the results it has, those running and the promotions
     * the rung below may still make.
     */
    private int[] mostResults() {
      int[] bound = new int[budgets.length];
      bound[0] = budget;
      for (int k = 1; k < budgets.length; k++) {
        int open = (int) Math.ceil(bound[k - 1] / (double) ETA) - promoted.get(k - 1).size();
        bound[k] = rungs.get(k).size() + running[k] + Math.max(0, open);
      }
      return bound;
    }

    private Job start(int config, int rung) {
      running[rung]++;
      // Without pruning a configuration runs once: no rung in its id, nothing to park for later.
      boolean pruning = budgets.length > 1;
      return new Job(
          config,
          rung,
          new TrialSpec(
              pruning ? "t" + config + "-r" + rung : "t" + config,
              points.get(config),
              budgets[rung],
              pruning ? run + config : null));
    }

    private synchronized void record(Job job, TrialResult result, double jobSeconds) {
      TrialResult r = result.finishedAt(since(start), jobSeconds);
      running[job.rung]--;
      rungs.get(job.rung).put(job.config, r.bestValidRmse());
      if (r.pastItsBest()) {
        converged.add(job.config);
      }
      finished.add(new Done(job, r));
      if (job.rung == 0) {
        firstRung.add(r);
      }
      log.accept(
          String.format(
              "%s (%d epochs): valid RMSE %.4f at %.1f s; best so far %.4f",
              r.id(),
              r.budget(),
              r.bestValidRmse(),
              r.finishedSeconds(),
              finished.stream()
                  .mapToDouble(d -> d.result.bestValidRmse())
                  .filter(Double::isFinite)
                  .min()
                  .orElse(Double.NaN)));
      notifyAll();
    }

    private TrialResult withFinalStatus(Done d) {
      if (d.job.rung == budgets.length - 1 || d.result.pastItsBest()) {
        return d.result.withStatus("completed");
      }
      boolean on = promoted.get(d.job.rung).contains(d.job.config);
      return d.result.withStatus(on ? "promoted" : "pruned");
    }
  }

  private static String progress(int round, List<TrialResult> done) {
    double best =
        done.stream()
            .mapToDouble(TrialResult::bestValidRmse)
            .filter(Double::isFinite)
            .min()
            .orElse(Double.NaN);
    return String.format("round %d: %d trials, best valid RMSE %.4f", round, done.size(), best);
  }
}
