package io.streamrank.streaming.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.features.RatingStats;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.streaming.ScoringRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Harness tests of the feature state: no rating at or after a request's time is ever counted (also
 * when ratings run far ahead of events), the state is bounded, and the stream computes the very
 * values the trainer computes point-in-time.
 */
class RatingStatsFunctionTest {
  private static final StreamingFeatures DEF = StreamingFeatures.DEFAULT;
  private static final Duration TTL = Duration.ofHours(1);

  /**
   * Residual sums are added (and decayed) in another order in state than point-in-time or in the
   * expectations: float rounding only.
   */
  private static final Offset<Float> SUM_ORDER = within(1e-6f);

  private static final Offset<Float> CLOSE = SUM_ORDER;

  /** The movie-keyed and the user-keyed stage, chained as in the job. */
  private static final class Stages implements AutoCloseable {
    final KeyedTwoInputStreamOperatorTestHarness<
            Long, ScoringRequest, FeatureRating, ScoringRequest>
        movie = stage(RatingStatsFunction.Side.MOVIE, r -> r.event.getMovieId(), r -> r.movieId);
    final KeyedTwoInputStreamOperatorTestHarness<
            Long, ScoringRequest, FeatureRating, ScoringRequest>
        user = stage(RatingStatsFunction.Side.USER, r -> r.event.getUserId(), r -> r.userId);

    Stages() throws Exception {}

    private static KeyedTwoInputStreamOperatorTestHarness<
            Long, ScoringRequest, FeatureRating, ScoringRequest>
        stage(
            RatingStatsFunction.Side side,
            org.apache.flink.api.java.functions.KeySelector<ScoringRequest, Long> requestKey,
            org.apache.flink.api.java.functions.KeySelector<FeatureRating, Long> ratingKey)
            throws Exception {
      var h =
          ProcessFunctionTestHarnesses.forKeyedCoProcessFunction(
              new RatingStatsFunction(side, DEF, TTL), requestKey, ratingKey, Types.LONG);
      h.open();
      return h;
    }

    /**
     * The rating passes the movie's state, then (with its residual) the user's. Times in these
     * tests are epoch seconds, as in {@link Rating}; the stream's are milliseconds.
     */
    void rating(Rating r) throws Exception {
      RatingEvent e =
          RatingEvent.newBuilder()
              .setEventId("r")
              .setUserId(r.userId())
              .setMovieId(r.movieId())
              .setTimestamp(r.timestamp() * 1000)
              .setRating(r.rating())
              .build();
      movie.processElement2(FeatureRating.of(e), r.timestamp() * 1000);
      // The rating with its residual, and corrections of later pending ones of the movie.
      var residuals = movie.getSideOutput(RatingStatsFunction.RESIDUALS);
      while (!residuals.isEmpty()) {
        user.processElement2(residuals.poll());
      }
    }

    float[] request(long userId, long movieId, long t) throws Exception {
      Event e =
          Event.newBuilder()
              .setEventId("e")
              .setUserId(userId)
              .setMovieId(movieId)
              .setTimestamp(t * 1000)
              .build();
      movie.processElement1(ScoringRequest.of(e), t * 1000);
      List<ScoringRequest> m = movie.extractOutputValues();
      movie.getOutput().clear();
      user.processElement1(m.get(0), t * 1000);
      List<ScoringRequest> u = user.extractOutputValues();
      user.getOutput().clear();
      assertThat(u).hasSize(1);
      return u.get(0).features;
    }

    void watermark(long w) throws Exception {
      movie.processBothWatermarks(new Watermark(w * 1000));
      user.processBothWatermarks(new Watermark(w * 1000));
    }

    @Override
    public void close() throws Exception {
      movie.close();
      user.close();
    }
  }

  private static float[] expected(RatingStats user, RatingStats movie, long t) {
    float[] f = new float[StreamingFeatures.COUNT];
    DEF.compute(user, movie, t, f, 0);
    return f;
  }

  /** A user's statistics {@code before} and one more rating at t against {@code movieBefore}. */
  private static RatingStats user(
      RatingStats before, float rating, RatingStats movieBefore, long t) {
    return DEF.merge(before, DEF.rating(rating, DEF.residual(rating, movieBefore), t));
  }

  /** A movie's statistics after these ratings. */
  private static RatingStats movie(float... ratings) {
    RatingStats m = RatingStats.EMPTY;
    for (float r : ratings) {
      m = m.plus(r);
    }
    return m;
  }

  @Test
  void ratingsAheadOfEventsAreCountedOnlyByLaterRequests() throws Exception {
    try (Stages s = new Stages()) {
      // The ratings topic runs ahead: both labels arrive before any event.
      s.rating(new Rating(1, 10, 100, 5f));
      s.rating(new Rating(1, 11, 200, 1f));
      // Each rating is its movie's first, so its residual is against an empty movie.
      RatingStats first = user(RatingStats.EMPTY, 5f, RatingStats.EMPTY, 100);
      RatingStats both = user(first, 1f, RatingStats.EMPTY, 200);
      RatingStats none = RatingStats.EMPTY;
      assertThat(s.request(1, 10, 50)).containsExactly(expected(none, none, 50));
      assertThat(s.request(1, 10, 100)).containsExactly(expected(none, none, 100));
      assertThat(s.request(1, 10, 101)).containsExactly(expected(first, movie(5f), 101), CLOSE);
      assertThat(s.request(1, 11, 200)).containsExactly(expected(first, none, 200), CLOSE);
      assertThat(s.request(1, 11, 201)).containsExactly(expected(both, movie(1f), 201), CLOSE);
    }
  }

  @Test
  void aLateRequestGetsNoHistoryRatherThanALaterRating() throws Exception {
    try (Stages s = new Stages()) {
      s.rating(new Rating(1, 10, 100, 5f));
      s.rating(new Rating(1, 10, 200, 3f));
      s.watermark(300); // both folded into the statistics
      assertThat(s.user.numEventTimeTimers()).isZero();
      // On time: both ratings count; the second's residual is against the first.
      RatingStats both =
          user(user(RatingStats.EMPTY, 5f, RatingStats.EMPTY, 100), 3f, movie(5f), 200);
      assertThat(s.request(1, 10, 301)).containsExactly(expected(both, movie(5f, 3f), 301), CLOSE);
      // Behind the watermark, at 150: the folded statistics hold the rating at 200, so no history.
      assertThat(s.request(1, 10, 150))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY, 150));
      // A rating behind what is folded still counts for requests after it; its residual is
      // against the movie's folded statistics (which hold the later rating at 200, too).
      s.rating(new Rating(1, 10, 120, 1f));
      RatingStats three = user(both, 1f, movie(5f, 3f), 120);
      assertThat(s.request(1, 10, 302))
          .containsExactly(expected(three, movie(5f, 3f, 1f), 302), CLOSE);
    }
  }

  @Test
  void stateIsBoundedByTheTtlAndTheWatermark() throws Exception {
    try (Stages s = new Stages()) {
      s.user.setStateTtlProcessingTime(0);
      s.movie.setStateTtlProcessingTime(0);
      for (int i = 0; i < 50; i++) {
        s.rating(new Rating(i, 1000 + i, 100 + i, 4f));
      }
      // Pending until the watermark passes them: one timer per rating time and key.
      assertThat(s.user.numEventTimeTimers()).isEqualTo(50);
      s.watermark(1_000);
      assertThat(s.user.numEventTimeTimers()).isZero();
      assertThat(s.movie.numEventTimeTimers()).isZero();
      RatingStats one = user(RatingStats.EMPTY, 4f, RatingStats.EMPTY, 107);
      assertThat(s.request(7, 1007, 2_000)).containsExactly(expected(one, movie(4f), 2_000), CLOSE);
      // No rating of any key for longer than the TTL: every key is forgotten.
      s.user.setStateTtlProcessingTime(TTL.toMillis() + 1);
      s.movie.setStateTtlProcessingTime(TTL.toMillis() + 1);
      assertThat(s.request(7, 1007, 2_001))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY, 2_001));
      for (int i = 0; i < 50; i++) {
        s.request(i, 1000 + i, 2_002);
      }
      assertThat(s.user.numKeyedStateEntries()).isZero();
      assertThat(s.movie.numKeyedStateEntries()).isZero();
    }
  }

  /** Ratings of a small synthetic stream, in time order. */
  private static List<Rating> stream() {
    return new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(3_000))
        .generate()
        .ratings();
  }

  @Test
  void servingComputesTheTrainersPointInTimeValuesWhenRatingsRunAhead() throws Exception {
    List<Rating> ratings = stream();
    float[][] training = DEF.pointInTime(ratings, ratings);
    try (Stages s = new Stages()) {
      for (Rating r : ratings) {
        s.rating(r);
      }
      for (int i = 0; i < ratings.size(); i++) {
        Rating r = ratings.get(i);
        assertThat(s.request(r.userId(), r.movieId(), r.timestamp()))
            .as("row %d", i)
            .containsExactly(training[i], SUM_ORDER);
      }
    }
  }

  @Test
  void servingComputesTheTrainersPointInTimeValuesWhenAMoviesRatingsArriveOutOfOrder()
      throws Exception {
    // As from several partitions: each movie's ratings arrive in no particular time order, so a
    // rating's residual is first computed without earlier ratings that arrive after it.
    List<Rating> ratings = stream();
    float[][] training = DEF.pointInTime(ratings, ratings);
    List<Rating> shuffled = new ArrayList<>(ratings);
    java.util.Collections.shuffle(shuffled, new java.util.Random(7));
    try (Stages s = new Stages()) {
      for (Rating r : shuffled) {
        s.rating(r);
      }
      for (int i = 0; i < ratings.size(); i++) {
        Rating r = ratings.get(i);
        assertThat(s.request(r.userId(), r.movieId(), r.timestamp()))
            .as("row %d", i)
            .containsExactly(training[i], SUM_ORDER);
      }
    }
  }

  @Test
  void servingComputesTheTrainersPointInTimeValuesWhenEachLabelFollowsItsEvent() throws Exception {
    List<Rating> ratings = stream();
    float[][] training = DEF.pointInTime(ratings, ratings);
    List<float[]> served = new ArrayList<>();
    try (Stages s = new Stages()) {
      for (int i = 0; i < ratings.size(); i++) {
        Rating r = ratings.get(i);
        served.add(s.request(r.userId(), r.movieId(), r.timestamp()));
        s.rating(r);
        if (i % 100 == 99) {
          s.watermark(r.timestamp() - 1); // events are in time order: none later than this
        }
      }
    }
    for (int i = 0; i < ratings.size(); i++) {
      assertThat(served.get(i)).as("row %d", i).containsExactly(training[i], SUM_ORDER);
    }
  }
}
