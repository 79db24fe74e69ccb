package io.streamrank.retrain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Tree-structured Parzen estimator (Bergstra et al., 2011), per parameter: the finished trials are
 * split into the best quarter ("good") and the rest; candidates are drawn around good points
 * (Gaussian kernels on the log scale, smoothed frequencies for choices) and the one with the
 * highest ratio of good to bad density is proposed. Random until enough trials have finished.
 */
public final class TpeSearch implements Searcher {
  private static final int STARTUP = 5;
  private static final int CANDIDATES = 24;
  private static final double GAMMA = 0.25;

  private final SearchSpace space;
  private final SplittableRandom rng;

  public TpeSearch(SearchSpace space, long seed) {
    this.space = space;
    this.rng = new SplittableRandom(seed);
  }

  @Override
  public List<Map<String, Object>> next(int n, List<TrialResult> history) {
    List<TrialResult> done =
        history.stream().filter(t -> Double.isFinite(t.bestValidRmse())).toList();
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (done.size() < STARTUP) {
        out.add(space.sample(rng));
        continue;
      }
      List<TrialResult> sorted =
          done.stream().sorted(Comparator.comparingDouble(TrialResult::bestValidRmse)).toList();
      int nGood = Math.max(1, (int) Math.ceil(GAMMA * sorted.size()));
      List<Map<String, Object>> good =
          sorted.subList(0, nGood).stream().map(TrialResult::point).toList();
      List<Map<String, Object>> bad =
          sorted.subList(nGood, sorted.size()).stream().map(TrialResult::point).toList();
      Map<String, Object> best = null;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < CANDIDATES; c++) {
        Map<String, Object> candidate = new LinkedHashMap<>();
        double score = 0;
        for (SearchSpace.Param p : space.params()) {
          Object v = drawNear(p, good);
          candidate.put(p.name(), v);
          score += Math.log(density(p, v, good) + 1e-12) - Math.log(density(p, v, bad) + 1e-12);
        }
        if (score > bestScore) {
          bestScore = score;
          best = candidate;
        }
      }
      out.add(best);
    }
    return out;
  }

  private Object drawNear(SearchSpace.Param p, List<Map<String, Object>> good) {
    Map<String, Object> around = good.get(rng.nextInt(good.size()));
    if (p instanceof SearchSpace.LogUniform u) {
      double lo = Math.log(u.low());
      double hi = Math.log(u.high());
      double centre = Math.log(((Number) around.get(u.name())).doubleValue());
      double x = centre + gaussian() * bandwidth(u, good.size());
      return Math.exp(Math.max(lo, Math.min(hi, x)));
    }
    SearchSpace.Choice c = (SearchSpace.Choice) p;
    return rng.nextDouble() < 0.8
        ? around.get(c.name())
        : c.values().get(rng.nextInt(c.values().size()));
  }

  private static double density(SearchSpace.Param p, Object v, List<Map<String, Object>> points) {
    if (points.isEmpty()) {
      return 1e-6;
    }
    if (p instanceof SearchSpace.LogUniform u) {
      double x = Math.log(((Number) v).doubleValue());
      double h = bandwidth(u, points.size());
      // The uniform prior is one more component, so a few points cannot make the density spiky.
      double sum = 1 / (Math.log(u.high()) - Math.log(u.low()));
      for (Map<String, Object> q : points) {
        double d = (x - Math.log(((Number) q.get(u.name())).doubleValue())) / h;
        sum += Math.exp(-0.5 * d * d) / (h * Math.sqrt(2 * Math.PI));
      }
      return sum / (points.size() + 1);
    }
    SearchSpace.Choice c = (SearchSpace.Choice) p;
    Map<Object, Integer> counts = new HashMap<>();
    for (Map<String, Object> q : points) {
      counts.merge(q.get(c.name()), 1, Integer::sum);
    }
    return (counts.getOrDefault(v, 0) + 1.0) / (points.size() + c.values().size());
  }

  /** Kernel width on the log scale: narrower as more points support the density. */
  private static double bandwidth(SearchSpace.LogUniform u, int points) {
    return (Math.log(u.high()) - Math.log(u.low())) / (2 + 2 * Math.sqrt(points));
  }

  private double gaussian() {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(Math.max(u1, 1e-300))) * Math.cos(2 * Math.PI * u2);
  }
}
