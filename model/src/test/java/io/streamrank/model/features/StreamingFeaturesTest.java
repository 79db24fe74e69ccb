package io.streamrank.model.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.datasets.Rating;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingFeaturesTest {
  private final StreamingFeatures f = new StreamingFeatures(3.5f, 5f);

  @Test
  void definition() {
    float[] out = new float[4];
    f.compute(new RatingStats(3, 13), RatingStats.EMPTY, out, 0);
    assertThat(out[0]).isCloseTo((float) (Math.log(4) / 5), within(1e-6f));
    assertThat(out[1]).isCloseTo((13f - 3 * 3.5f) / (3 + 5), within(1e-6f));
    assertThat(out[2]).isZero();
    assertThat(out[3]).isZero();
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
    assertThat(x[0]).containsExactly(0f, 0f, 0f, 0f);
    // Both ratings at t=200 see only the t=100 one of user 1.
    float[] expectUser = new float[4];
    f.compute(new RatingStats(1, 5), RatingStats.EMPTY, expectUser, 0);
    assertThat(x[1]).containsExactly(expectUser);
    assertThat(x[2]).containsExactly(expectUser);
    // User 2 at t=300: new user, movie 10 seen once (rating 5).
    float[] expectMovie = new float[4];
    f.compute(RatingStats.EMPTY, new RatingStats(1, 5), expectMovie, 0);
    assertThat(x[3]).containsExactly(expectMovie);

    // The order of the inputs does not matter.
    List<Rating> shuffled = new ArrayList<>(history);
    Collections.reverse(shuffled);
    float[][] y = f.pointInTime(shuffled, List.of(history.get(3), history.get(1)));
    assertThat(y[0]).containsExactly(x[3]);
    assertThat(y[1]).containsExactly(x[1]);
  }

  @Test
  void streamingStateGivesTheSameValuesAsPointInTime() {
    // What the stream does: features from state, then the rating updates the state.
    List<Rating> ratings = io.streamrank.model.SyntheticRatings.generate(20, 10, 500, 1);
    float[][] batch = f.pointInTime(ratings, ratings);
    java.util.Map<Long, RatingStats> users = new java.util.HashMap<>();
    java.util.Map<Long, RatingStats> movies = new java.util.HashMap<>();
    float[] out = new float[4];
    for (int i = 0; i < ratings.size(); i++) {
      Rating r = ratings.get(i);
      f.compute(
          users.getOrDefault(r.userId(), RatingStats.EMPTY),
          movies.getOrDefault(r.movieId(), RatingStats.EMPTY),
          out,
          0);
      assertThat(out).containsExactly(batch[i]);
      users.put(r.userId(), users.getOrDefault(r.userId(), RatingStats.EMPTY).plus(r.rating()));
      movies.put(r.movieId(), movies.getOrDefault(r.movieId(), RatingStats.EMPTY).plus(r.rating()));
    }
  }
}
