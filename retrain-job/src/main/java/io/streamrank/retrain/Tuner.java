package io.streamrank.retrain;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.model.Metrics;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The tuning pipeline: propose points, run them as parallel trials, optionally prune with
 * successive halving, then train the best configuration to completion on train+validation and
 * evaluate it on the test slice, next to the library defaults on the same split.
 *
 * <p>Pruning ({@code asha}) is synchronous successive halving with reduction factor 3: every
 * configuration first gets a ninth of the epoch budget, the best third goes on with a third, and
 * the best third of those with the full budget; the rest are reported as pruned. Each rung is one
 * round of parallel trials.
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

  /** What a tuning run found. */
  public record Outcome(
      TrialResult best,
      double defaultValidRmse,
      double testRmse,
      double defaultTestRmse,
      List<TrialResult> trials,
      RankingModel model,
      ModelConfig bestConfig,
      double searchSeconds,
      double wallSeconds) {}

  /**
   * Tunes on the data.
   *
   * @param budget configurations to try
   * @param algo grid, random or tpe
   * @param pruner none or asha
   */
  public Outcome tune(DataSpec data, int budget, String algo, String pruner, long seed)
      throws Exception {
    if (budget <= 0) {
      throw new IllegalArgumentException("budget must be > 0, got " + budget);
    }
    long start = System.nanoTime();
    Searcher searcher = Searcher.named(algo, space, SearchSpace.point(base), budget, seed);
    List<TrialResult> trials =
        switch (pruner.toLowerCase(Locale.ROOT)) {
          case "none" -> unpruned(searcher, data, budget);
          case "asha" -> halving(searcher, data, budget);
          default ->
              throw new IllegalArgumentException(
                  "unknown pruner '" + pruner + "', expected none or asha");
        };
    double searchSeconds = (System.nanoTime() - start) / 1e9;
    TrialResult best =
        trials.stream()
            .filter(t -> t.status().equals("completed") && Double.isFinite(t.bestValidRmse()))
            .min(Comparator.comparingDouble(TrialResult::bestValidRmse))
            .orElseThrow(() -> new IllegalStateException("no trial completed"));
    TrialResult defaults =
        executor
            .run(
                List.of(new TrialSpec("defaults", SearchSpace.point(base), base.epochs())),
                data,
                base)
            .get(0);
    DataSpec.Loaded loaded = data.load();
    ModelConfig bestConfig =
        SearchSpace.apply(base, best.point()).toBuilder()
            .epochs(best.bestEpoch())
            .numFeatures(loaded.numFeatures())
            .build();
    RankingModel model = refit(loaded, bestConfig);
    double testRmse = testRmse(model, loaded);
    double defaultTestRmse =
        testRmse(
            refit(
                loaded,
                base.toBuilder()
                    .epochs(defaults.bestEpoch())
                    .numFeatures(loaded.numFeatures())
                    .build()),
            loaded);
    log.accept(
        String.format(
            "best %s: valid RMSE %.4f (defaults %.4f), test RMSE after refit %.4f (defaults %.4f)",
            best.id(), best.bestValidRmse(), defaults.bestValidRmse(), testRmse, defaultTestRmse));
    return new Outcome(
        best,
        defaults.bestValidRmse(),
        testRmse,
        defaultTestRmse,
        trials,
        model,
        bestConfig,
        searchSeconds,
        (System.nanoTime() - start) / 1e9);
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

  private List<TrialResult> unpruned(Searcher searcher, DataSpec data, int budget)
      throws Exception {
    List<TrialResult> done = new ArrayList<>();
    int round = 0;
    while (done.size() < budget) {
      int n = Math.min(executor.parallelism(), budget - done.size());
      List<TrialSpec> specs = new ArrayList<>();
      for (Map<String, Object> p : searcher.next(n, done)) {
        specs.add(new TrialSpec("t" + (done.size() + specs.size()), p, base.epochs()));
      }
      List<TrialResult> results = executor.run(specs, data, base);
      done.addAll(results);
      round++;
      log.accept(progress(round, done));
    }
    return done;
  }

  private List<TrialResult> halving(Searcher searcher, DataSpec data, int budget) throws Exception {
    List<Map<String, Object>> points = new ArrayList<>();
    List<TrialResult> seen = new ArrayList<>();
    // Propose in parallel-sized batches so a model-based searcher still learns between batches
    // from the first rung's results.
    while (points.size() < budget) {
      points.addAll(searcher.next(Math.min(budget - points.size(), budget), seen));
    }
    int[] budgets = {
      Math.max(1, base.epochs() / (ETA * ETA)), Math.max(1, base.epochs() / ETA), base.epochs()
    };
    List<TrialResult> all = new ArrayList<>();
    List<Integer> alive = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      alive.add(i);
    }
    for (int rung = 0; rung < budgets.length; rung++) {
      List<TrialSpec> specs = new ArrayList<>();
      for (int i : alive) {
        specs.add(new TrialSpec("t" + i + "-r" + rung, points.get(i), budgets[rung]));
      }
      List<TrialResult> results = executor.run(specs, data, base);
      boolean last = rung == budgets.length - 1;
      List<Integer> order = new ArrayList<>(alive);
      order.sort(Comparator.comparingDouble(i -> results.get(alive.indexOf(i)).bestValidRmse()));
      int keep = last ? order.size() : Math.max(1, (int) Math.ceil(order.size() / (double) ETA));
      List<Integer> next = order.subList(0, keep);
      for (int k = 0; k < results.size(); k++) {
        boolean promoted = next.contains(alive.get(k));
        all.add(
            last ? results.get(k) : results.get(k).withStatus(promoted ? "promoted" : "pruned"));
      }
      log.accept(
          String.format(
              "rung %d (%d epochs): %d trials, %d go on; %s",
              rung, budgets[rung], results.size(), last ? 0 : keep, progress(rung + 1, all)));
      alive.clear();
      alive.addAll(next);
    }
    return all;
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
