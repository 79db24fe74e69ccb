package io.streamrank.retrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamrank.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SearchersTest {
  /** A made-up validation RMSE with its optimum at lr 3e-3, l2_embedding 0.1, dim 32. */
  static double objective(Map<String, Object> p) {
    double lr =
        Math.log10(((Number) p.get(SearchSpace.LEARNING_RATE)).doubleValue()) - Math.log10(3e-3);
    double l2 = Math.log10(((Number) p.get(SearchSpace.L2_EMBEDDING)).doubleValue()) + 1;
    double dim = ((Number) p.get(SearchSpace.EMBEDDING_DIM)).intValue() == 32 ? 0 : 0.05;
    return 0.9 + 0.1 * lr * lr + 0.05 * l2 * l2 + dim;
  }

  static List<TrialResult> drive(Searcher s, int n) {
    List<TrialResult> history = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> p = s.next(1, history).get(0);
      double v = objective(p);
      history.add(
          new TrialResult("t" + i, p, 1, List.of(v), v, 1, "completed", 0, 0, 0, 0, false, null));
    }
    return history;
  }

  @Test
  void tpeConcentratesNearTheOptimumAfterItsRandomStart() {
    for (long seed = 1; seed <= 3; seed++) {
      List<TrialResult> h = drive(new TpeSearch(SearchSpace.defaults(), seed), 40);
      double early =
          h.subList(0, 5).stream().mapToDouble(TrialResult::bestValidRmse).average().orElseThrow();
      double late =
          h.subList(30, 40).stream()
              .mapToDouble(TrialResult::bestValidRmse)
              .average()
              .orElseThrow();
      assertThat(late).as("seed %d", seed).isLessThan(early);
      double tpeBest = h.stream().mapToDouble(TrialResult::bestValidRmse).min().orElseThrow();
      double randomBest =
          drive(new RandomSearch(SearchSpace.defaults(), seed), 40).stream()
              .mapToDouble(TrialResult::bestValidRmse)
              .min()
              .orElseThrow();
      assertThat(tpeBest)
          .as("seed %d: TPE best vs random best", seed)
          .isLessThanOrEqualTo(randomBest + 0.01);
    }
  }

  @Test
  void gridSearchesTheLearningRateOnALogGridThenZoomsAroundTheBest() {
    Map<String, Object> defaults = SearchSpace.point(ModelConfig.defaults());
    List<TrialResult> h = drive(new GridSearch(defaults, 10), 10);
    List<Double> lrs =
        h.stream()
            .map(t -> ((Number) t.point().get(SearchSpace.LEARNING_RATE)).doubleValue())
            .toList();
    assertThat(lrs.get(0)).isEqualTo(1e-4, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(lrs.get(4)).isEqualTo(1e-1, org.assertj.core.data.Offset.offset(1e-9));
    double bestLog =
        h.subList(0, 5).stream()
            .min(java.util.Comparator.comparingDouble(TrialResult::bestValidRmse))
            .map(t -> ((Number) t.point().get(SearchSpace.LEARNING_RATE)).doubleValue())
            .orElseThrow();
    assertThat(lrs.subList(5, 10))
        .allSatisfy(lr -> assertThat(lr).isBetween(bestLog / 2, bestLog * 2));
    assertThat(h)
        .allSatisfy(
            t ->
                assertThat(t.point().get(SearchSpace.EMBEDDING_DIM))
                    .isEqualTo(defaults.get(SearchSpace.EMBEDDING_DIM)));
  }

  @Test
  void pointsApplyToTheConfigAndUnknownNamesAreRefused() {
    ModelConfig cfg =
        SearchSpace.apply(
            ModelConfig.defaults(),
            Map.of(
                SearchSpace.HIDDEN,
                "64,32",
                SearchSpace.EMBEDDING_DIM,
                16,
                SearchSpace.LEARNING_RATE,
                0.01));
    assertThat(cfg.hiddenLayers()).containsExactly(64, 32);
    assertThat(cfg.embeddingDim()).isEqualTo(16);
    assertThat(cfg.learningRate()).isEqualTo(0.01f);
    assertThat(
            SearchSpace.apply(ModelConfig.defaults(), Map.of(SearchSpace.HIDDEN, ""))
                .hiddenLayers())
        .isEmpty();
    assertThatThrownBy(() -> Searcher.named("bayes", SearchSpace.defaults(), Map.of(), 1, 1))
        .hasMessageContaining("grid, random or tpe");
  }
}
