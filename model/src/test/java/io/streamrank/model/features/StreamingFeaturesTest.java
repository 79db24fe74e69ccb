package io.streamrank.model.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.datasets.Rating;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingFeaturesTest {
  private final StreamingFeatures f = new StreamingFeatures(3.5f, 5f, 7f);

  @Test
  void definition() {
    float[] out = new float[StreamingFeatures.COUNT];
    // Three ratings whose residuals sum to 1.5 (decayed weight 2.5 by now), last one 7 days ago.
    double at = 86_400 * 10;
    RatingStats user = new RatingStats(3, 13, 1.5, 2.5, at);
    f.compute(user, RatingStats.EMPTY, at + 7 * 86_400, out, 0);
    assertThat(out[0]).isCloseTo((float) (Math.log(4) / 5), within(1e-6f));
    assertThat(out[1]).isCloseTo((13f - 3 * 3.5f) / (3 + 5), within(1e-6f));
    assertThat(out[2]).isZero();
    assertThat(out[3]).isZero();
    // One half-life later: both decayed sums halve.
    assertThat(out[4]).isCloseTo(0.75f / (1.25f + 5), within(1e-6f));
    f.compute(user, RatingStats.EMPTY, at, out, 0);
    assertThat(out[4]).isCloseTo(1.5f / (2.5f + 5), within(1e-6f));
    // A residual: the rating minus the prior and the movie's shrunk mean offset.
    assertThat(f.residual(4f, new RatingStats(2, 9))).isCloseTo(4 - 3.5 - 2.0 / 7, within(1e-6));
  }

  @Test
  void oldDefinitionsAreRejectedWithTheReason() {
    java.util.Map<String, Object> v1 =
        java.util.Map.of(
            "names",
            List.of("user_log_count", "user_mean_offset", "movie_log_count", "movie_mean_offset"),
            "prior",
            3.5,
            "shrinkage",
            5.0);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> StreamingFeatures.fromMap(v1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("definition version 1")
        .hasMessageContaining("definition version " + StreamingFeatures.VERSION)
        .hasMessageContaining("retrain");
    assertThat(StreamingFeatures.fromMap(f.toMap())).isEqualTo(f);
  }

  @Test
  void pointInTimeSeesOnlyStrictlyEarlierRatings() {
    List<Rating> history =
        List.of(
            new Rating(1, 10, 100, 5f),
            new Rating(1, 11, 200, 1f),
            new Rating(1, 12, 200, 4f), // same second as the previous: they do not see each other
            new Rating(2, 10, 300, 2f));
    float[][] x = f.pointInTime(history, history);
    // First rating: nothing before it.
    assertThat(x[0]).containsExactly(0f, 0f, 0f, 0f, 0f);
    // Both ratings at t=200 see only the t=100 one of user 1 (its movie unrated before it).
    float[] expectUser = new float[StreamingFeatures.COUNT];
    RatingStats user1 = f.rating(5f, f.residual(5f, RatingStats.EMPTY), 100);
    f.compute(user1, RatingStats.EMPTY, 200, expectUser, 0);
    assertThat(x[1]).containsExactly(expectUser);
    assertThat(x[2]).containsExactly(expectUser);
    // User 2 at t=300: new user, movie 10 seen once (rating 5).
    float[] expectMovie = new float[StreamingFeatures.COUNT];
    f.compute(RatingStats.EMPTY, new RatingStats(1, 5), 300, expectMovie, 0);
    assertThat(x[3]).containsExactly(expectMovie);

    // The order of the inputs does not matter.
    List<Rating> shuffled = new ArrayList<>(history);
    Collections.reverse(shuffled);
    float[][] y = f.pointInTime(shuffled, List.of(history.get(3), history.get(1)));
    assertThat(y[0]).containsExactly(x[3]);
    assertThat(y[1]).containsExactly(x[1]);
  }

  @Test
  void aResidualUsesOnlyTheMoviesStrictlyEarlierRatings() {
    List<Rating> history =
        List.of(
            new Rating(2, 10, 100, 1f),
            new Rating(1, 10, 200, 5f),
            new Rating(3, 10, 200, 2f), // same second as user 1's: not in its residual
            new Rating(3, 10, 400, 4f), // later: not in its residual either
            new Rating(1, 11, 300, 3f));
    float[][] x = f.pointInTime(history, history);
    RatingStats movieAt200 = new RatingStats(1, 1);
    double residual = f.residual(5f, movieAt200);
    // User 1 at t=300 has one earlier rating (t=200), against movie 10's single earlier one.
    float[] want = new float[StreamingFeatures.COUNT];
    f.compute(f.rating(5f, residual, 200), RatingStats.EMPTY, 300, want, 0);
    assertThat(x[4]).containsExactly(want);
  }

  @Test
  void streamingStateGivesTheSameValuesAsPointInTime() {
    // What the stream does: features from state, then the rating updates the state.
    List<Rating> ratings = io.streamrank.model.SyntheticRatings.generate(20, 10, 500, 1);
    float[][] batch = f.pointInTime(ratings, ratings);
    java.util.Map<Long, RatingStats> users = new java.util.HashMap<>();
    java.util.Map<Long, RatingStats> movies = new java.util.HashMap<>();
    float[] out = new float[StreamingFeatures.COUNT];
    for (int i = 0; i < ratings.size(); i++) {
      Rating r = ratings.get(i);
      f.compute(
          users.getOrDefault(r.userId(), RatingStats.EMPTY),
          movies.getOrDefault(r.movieId(), RatingStats.EMPTY),
          r.timestamp(),
          out,
          0);
      assertThat(out).containsExactly(batch[i]);
      double residual = f.residual(r.rating(), movies.getOrDefault(r.movieId(), RatingStats.EMPTY));
      users.put(
          r.userId(),
          f.merge(
              users.getOrDefault(r.userId(), RatingStats.EMPTY),
              f.rating(r.rating(), residual, r.timestamp())));
      movies.put(r.movieId(), movies.getOrDefault(r.movieId(), RatingStats.EMPTY).plus(r.rating()));
    }
  }
}
