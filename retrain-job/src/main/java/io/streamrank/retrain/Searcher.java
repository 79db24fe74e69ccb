package io.streamrank.retrain;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Proposes hyperparameter points, possibly learning from the trials so far. */
public interface Searcher {
  /**
   * The next {@code n} points to try.
   *
   * @param history every finished trial so far (empty at the start)
   */
  List<Map<String, Object>> next(int n, List<TrialResult> history);

  /** {@code then}, whose first proposal is replaced by {@code first}. */
  static Searcher startingAt(Map<String, Object> first, Searcher then) {
    return new Searcher() {
      private boolean issued;

      @Override
      public List<Map<String, Object>> next(int n, List<TrialResult> history) {
        if (issued || n == 0) {
          return then.next(n, history);
        }
        issued = true;
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        out.add(first);
        out.addAll(then.next(n - 1, history));
        return out;
      }
    };
  }

  /** The searcher a command-line name picks: grid, random or tpe. */
  static Searcher named(
      String name, SearchSpace space, Map<String, Object> defaults, int budget, long seed) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "grid" -> new GridSearch(defaults, budget);
      case "random" -> new RandomSearch(space, seed);
      case "tpe" -> new TpeSearch(space, seed);
      default ->
          throw new IllegalArgumentException(
              "unknown search algorithm '" + name + "', expected grid, random or tpe");
    };
  }
}
