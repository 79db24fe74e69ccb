package io.streamrank.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.datasets.Rating;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private static Rating r(long u, long m, float y) {
    return new Rating(u, m, 0, y);
  }

  @Test
  void rmseAndMae() {
    float[] p = {1, 2, 3};
    float[] y = {2, 2, 5};
    assertThat(Metrics.rmse(p, y, 3)).isCloseTo(Math.sqrt(5.0 / 3), within(1e-12));
    assertThat(Metrics.mae(p, y, 3)).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void ndcgByHand() {
    // User 1: ratings 5, 3, 1; predicted order 3, 5, 1.
    // DCG = 7 + 31/log2(3) + 1/2 ; IDCG = 31 + 7/log2(3) + 1/2.
    // User 2: one rating, NDCG 1.
    List<Rating> test = List.of(r(1, 10, 5), r(1, 11, 3), r(1, 12, 1), r(2, 10, 4));
    float[] scores = {2f, 3f, 1f, 0f};
    double l3 = Math.log(3) / Math.log(2);
    double u1 = (7 + 31 / l3 + 0.5) / (31 + 7 / l3 + 0.5);
    assertThat(Metrics.ndcg(test, scores, 10)).isCloseTo((u1 + 1) / 2, within(1e-12));
    // Cut at k = 1: user 1 gets 7/31.
    assertThat(Metrics.ndcg(test, scores, 1)).isCloseTo((7.0 / 31 + 1) / 2, within(1e-12));
  }

  @Test
  void popularityRanksByTrainCount() {
    List<Rating> train = List.of(r(5, 11, 1), r(6, 11, 1), r(7, 10, 1));
    List<Rating> test = List.of(r(1, 10, 5), r(1, 11, 3), r(1, 12, 1));
    // Popularity order: 11 (2), 10 (1), 12 (0) -> same as scores {2, 3, 1} above.
    double l3 = Math.log(3) / Math.log(2);
    double expected = (7 + 31 / l3 + 0.5) / (31 + 7 / l3 + 0.5);
    assertThat(Metrics.popularityNdcg(train, test, 10)).isCloseTo(expected, within(1e-12));
  }

  @Test
  void tiesBreakByMovieId() {
    List<Rating> test = List.of(r(1, 11, 1), r(1, 10, 5));
    float[] tied = {1f, 1f};
    // Movie 10 (rating 5) ranks first: perfect ranking.
    assertThat(Metrics.ndcg(test, tied, 10)).isCloseTo(1.0, within(1e-12));
  }
}
