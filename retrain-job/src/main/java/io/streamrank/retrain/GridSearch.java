package io.streamrank.retrain;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seed tutorial's search: the learning rate on a log grid, then a linear zoom around the best
 * one; every other hyperparameter stays at its default. Half the budget goes to each phase.
 */
public final class GridSearch implements Searcher {
  private final Map<String, Object> defaults;
  private final int logPoints;
  private int issued;

  /**
   * @param defaults the point every grid point starts from
   * @param budget total points this search will be asked for
   */
  public GridSearch(Map<String, Object> defaults, int budget) {
    this.defaults = Map.copyOf(defaults);
    this.logPoints = Math.max(2, (budget + 1) / 2);
  }

  @Override
  public List<Map<String, Object>> next(int n, List<TrialResult> history) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < n; i++, issued++) {
      double lr;
      if (issued < logPoints) {
        // 1e-4 .. 1e-1 on a log grid
        double exp = -4 + 3.0 * issued / (logPoints - 1);
        lr = Math.pow(10, exp);
      } else {
        double best = bestLearningRate(history);
        int k = issued - logPoints;
        // Linear zoom: from half to twice the best log-grid rate, spread over the zoom points.
        lr = best * (0.5 + 1.5 * ((k * 0.618034) % 1.0));
      }
      Map<String, Object> p = new LinkedHashMap<>(defaults);
      p.put(SearchSpace.LEARNING_RATE, lr);
      out.add(p);
    }
    return out;
  }

  private double bestLearningRate(List<TrialResult> history) {
    return history.stream()
        .filter(t -> Double.isFinite(t.bestValidRmse()))
        .min(java.util.Comparator.comparingDouble(TrialResult::bestValidRmse))
        .map(t -> ((Number) t.point().get(SearchSpace.LEARNING_RATE)).doubleValue())
        .orElse(((Number) defaults.get(SearchSpace.LEARNING_RATE)).doubleValue());
  }
}
