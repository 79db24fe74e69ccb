package io.streamrank.retrain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Uniform random points of the space (log-uniform for the continuous ones). */
public final class RandomSearch implements Searcher {
  private final SearchSpace space;
  private final SplittableRandom rng;

  public RandomSearch(SearchSpace space, long seed) {
    this.space = space;
    this.rng = new SplittableRandom(seed);
  }

  @Override
  public List<Map<String, Object>> next(int n, List<TrialResult> history) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(space.sample(rng));
    }
    return out;
  }
}
