package io.streamrank.streaming.features;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Harness tests of the feature state: no rating at or after a request's time is ever counted (also
 * when ratings run far ahead of events), the state is bounded, and the stream computes the very
 * values the trainer computes point-in-time.
 */
class RatingStatsFunctionTest {
  private static final StreamingFeatures DEF = StreamingFeatures.DEFAULT;
  private static final Duration TTL = Duration.ofHours(1);

  /** The user-keyed and the movie-keyed stage, chained as in the job. */
  private static final class Stages implements AutoCloseable {
    final KeyedTwoInputStreamOperatorTestHarness<Long, ScoringRequest, RatingEvent, ScoringRequest>
        user;
    final KeyedTwoInputStreamOperatorTestHarness<Long, ScoringRequest, RatingEvent, ScoringRequest>
        movie;

    Stages() throws Exception {
      this(null, null);
    }

    /** Both stages restored from their snapshots (null: fresh). */
    Stages(OperatorSubtaskState userState, OperatorSubtaskState movieState) throws Exception {
      user =
          stage(
              RatingStatsFunction.Side.USER,
              r -> r.event.getUserId(),
              RatingEvent::getUserId,
              userState);
      movie =
          stage(
              RatingStatsFunction.Side.MOVIE,
              r -> r.event.getMovieId(),
              RatingEvent::getMovieId,
              movieState);
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
            Long, ScoringRequest, RatingEvent, ScoringRequest>
        stage(
            RatingStatsFunction.Side side,
            KeySelector<ScoringRequest, Long> requestKey,
            KeySelector<RatingEvent, Long> ratingKey,
            OperatorSubtaskState restored)
            throws Exception {
      var h =
          new KeyedTwoInputStreamOperatorTestHarness<>(
              new KeyedCoProcessOperator<>(new RatingStatsFunction(side, DEF, TTL)),
              requestKey,
              ratingKey,
              Types.LONG);
      if (restored != null) {
        h.initializeState(restored);
      }
      h.open();
      return h;
    }

    void rating(Rating r) throws Exception {
      RatingEvent e =
          RatingEvent.newBuilder()
              .setEventId("r")
              .setUserId(r.userId())
              .setMovieId(r.movieId())
              .setTimestamp(r.timestamp())
              .setRating(r.rating())
              .build();
      user.processElement2(e, r.timestamp());
      movie.processElement2(e, r.timestamp());
    }

    float[] request(long userId, long movieId, long t) throws Exception {
      Event e =
          Event.newBuilder()
              .setEventId("e")
              .setUserId(userId)
              .setMovieId(movieId)
              .setTimestamp(t)
              .build();
      user.processElement1(ScoringRequest.of(e), t);
      List<ScoringRequest> u = user.extractOutputValues();
      user.getOutput().clear();
      movie.processElement1(u.get(0), t);
      List<ScoringRequest> m = movie.extractOutputValues();
      movie.getOutput().clear();
      assertThat(m).hasSize(1);
      return m.get(0).features;
    }

    void processingTime(long t) throws Exception {
      user.setProcessingTime(t);
      movie.setProcessingTime(t);
    }

    void watermark(long w) throws Exception {
      user.processBothWatermarks(new Watermark(w));
      movie.processBothWatermarks(new Watermark(w));
    }

    @Override
    public void close() throws Exception {
      user.close();
      movie.close();
    }
  }

  private static float[] expected(RatingStats user, RatingStats movie) {
    float[] f = new float[StreamingFeatures.COUNT];
    DEF.compute(user, movie, f, 0);
    return f;
  }

  @Test
  void ratingsAheadOfEventsAreCountedOnlyByLaterRequests() throws Exception {
    try (Stages s = new Stages()) {
      // The ratings topic runs ahead: both labels arrive before any event.
      s.rating(new Rating(1, 10, 100, 5f));
      s.rating(new Rating(1, 11, 200, 1f));
      RatingStats first = RatingStats.EMPTY.plus(5f);
      RatingStats both = first.plus(1f);
      assertThat(s.request(1, 10, 50))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY));
      assertThat(s.request(1, 10, 100))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY));
      assertThat(s.request(1, 10, 101)).containsExactly(expected(first, first));
      assertThat(s.request(1, 11, 200)).containsExactly(expected(first, RatingStats.EMPTY));
      assertThat(s.request(1, 11, 201)).containsExactly(expected(both, RatingStats.EMPTY.plus(1f)));
    }
  }

  @Test
  void aLateRequestGetsNoHistoryRatherThanALaterRating() throws Exception {
    try (Stages s = new Stages()) {
      s.rating(new Rating(1, 10, 100, 5f));
      s.rating(new Rating(1, 10, 200, 3f));
      s.watermark(300); // both folded into the statistics
      assertThat(s.user.numEventTimeTimers()).isZero();
      // On time: both ratings count.
      RatingStats both = RatingStats.EMPTY.plus(5f).plus(3f);
      assertThat(s.request(1, 10, 301)).containsExactly(expected(both, both));
      // Behind the watermark, at 150: the folded statistics hold the rating at 200, so no history.
      assertThat(s.request(1, 10, 150))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY));
      // A rating behind what is folded still counts for requests after it.
      s.rating(new Rating(1, 10, 120, 1f));
      RatingStats three = both.plus(1f);
      assertThat(s.request(1, 10, 302)).containsExactly(expected(three, three));
    }
  }

  @Test
  void stateIsBoundedByTheTtlAndTheWatermark() throws Exception {
    try (Stages s = new Stages()) {
      s.processingTime(0);
      for (int i = 0; i < 50; i++) {
        s.rating(new Rating(i, 1000 + i, 100 + i, 4f));
        s.rating(new Rating(i, 2000 + i, 150 + i, 2f)); // a second, later rating of each user
      }
      // Pending until the watermark passes them: one fold timer per key, not per rating.
      assertThat(s.user.numEventTimeTimers()).isEqualTo(50);
      assertThat(s.movie.numEventTimeTimers()).isEqualTo(100);
      s.watermark(1_000);
      assertThat(s.user.numEventTimeTimers()).isZero();
      assertThat(s.movie.numEventTimeTimers()).isZero();
      RatingStats one = RatingStats.EMPTY.plus(4f);
      assertThat(s.request(7, 1007, 2_000)).containsExactly(expected(one.plus(2f), one));
      // A rating within the TTL keeps its key: user 7 is rated again half-way.
      s.processingTime(TTL.toMillis() / 2);
      s.rating(new Rating(7, 1007, 1_500, 5f));
      // No rating of any other key for longer than the TTL: every other key is forgotten.
      s.processingTime(TTL.toMillis() + 1);
      assertThat(s.request(8, 1008, 2_001))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY));
      assertThat(s.request(7, 1007, 2_001))
          .containsExactly(expected(one.plus(2f).plus(5f), one.plus(5f)));
      assertThat(s.user.numKeyedStateEntries()).isOne();
      assertThat(s.movie.numKeyedStateEntries()).isOne();
      // And user 7 too, a TTL after its last rating; no timer is left behind.
      s.watermark(3_000);
      s.processingTime(TTL.toMillis() * 3 / 2 + 1);
      assertThat(s.request(7, 1007, 3_001))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY));
      for (var h : List.of(s.user, s.movie)) {
        assertThat(h.numKeyedStateEntries()).isZero();
        assertThat(h.numEventTimeTimers()).isZero();
        assertThat(h.numProcessingTimeTimers()).isZero();
      }
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
            .containsExactly(training[i]);
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
      assertThat(served.get(i)).as("row %d", i).containsExactly(training[i]);
    }
  }

  @Test
  void manyRatingsAtOneTimeCountOnlyForRequestsAfterThatTime() throws Exception {
    try (Stages s = new Stages()) {
      s.rating(new Rating(1, 10, 400, 1f));
      for (int i = 0; i < 500; i++) {
        s.rating(new Rating(1, 10, 500, 1 + i % 5));
      }
      s.rating(new Rating(1, 10, 600, 2f));
      s.rating(new Rating(1, 10, 450, 4f)); // out of order, between two pending times
      RatingStats at400 = RatingStats.EMPTY.plus(1f);
      RatingStats at450 = at400.plus(4f);
      RatingStats at500 = at450;
      for (int i = 0; i < 500; i++) {
        at500 = at500.plus(1 + i % 5);
      }
      // One slot per distinct time, one fold timer per key.
      assertThat(s.user.numEventTimeTimers()).isOne();
      // A request at exactly a rating's time does not see it (nor the later ones).
      assertThat(s.request(1, 10, 400))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY));
      assertThat(s.request(1, 10, 450)).containsExactly(expected(at400, at400));
      assertThat(s.request(1, 10, 500)).containsExactly(expected(at450, at450));
      assertThat(s.request(1, 10, 501)).containsExactly(expected(at500, at500));
      assertThat(s.request(1, 10, 600)).containsExactly(expected(at500, at500));
      // The watermark folds the slots at or before it, and only those.
      s.watermark(500);
      assertThat(s.request(1, 10, 600)).containsExactly(expected(at500, at500));
      RatingStats all = at500.plus(2f);
      assertThat(s.request(1, 10, 601)).containsExactly(expected(all, all));
      assertThat(s.user.numEventTimeTimers()).isOne(); // moved on to 600
      // At exactly the folded time: late, no history rather than the ratings at 500.
      assertThat(s.request(1, 10, 500))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY));
      s.watermark(600);
      assertThat(s.user.numEventTimeTimers()).isZero();
      assertThat(s.request(1, 10, 601)).containsExactly(expected(all, all));
    }
  }

  /**
   * Ratings in a shuffled order (ties, ratings far ahead, ratings behind the watermark) against a
   * brute-force oracle: with no request behind the watermark, a request gets exactly the ratings
   * that have arrived with an earlier time.
   */
  @Test
  void anyArrivalOrderGivesExactlyTheEarlierRatingsThatArrived() throws Exception {
    java.util.Random random = new java.util.Random(7);
    List<Rating> arrived = new ArrayList<>();
    try (Stages s = new Stages()) {
      long watermark = 0;
      for (int step = 0; step < 4_000; step++) {
        long now = 1_000 + step * 3L;
        int user = 1 + random.nextInt(4);
        int movie = 1 + random.nextInt(3);
        switch (random.nextInt(4)) {
          case 0 -> {
            // Ratings from well behind the watermark to far ahead of the events, often tied.
            long t = now - 600 + random.nextInt(40) * 30L;
            Rating r = new Rating(user, movie, t, 1 + random.nextInt(5));
            arrived.add(r);
            s.rating(r);
          }
          case 1 -> {
            watermark = Math.max(watermark, now - 1 - random.nextInt(300));
            s.watermark(watermark);
          }
          default -> {
            long t = watermark + 1 + random.nextInt(400);
            assertThat(s.request(user, movie, t))
                .as("request %d at %d", step, t)
                .containsExactly(
                    expected(oracle(arrived, user, -1, t), oracle(arrived, -1, movie, t)));
          }
        }
      }
    }
  }

  private static RatingStats oracle(List<Rating> arrived, long user, long movie, long t) {
    RatingStats stats = RatingStats.EMPTY;
    for (Rating r : arrived) {
      if (r.timestamp() < t && (r.userId() == user || r.movieId() == movie)) {
        stats = stats.plus(r.rating());
      }
    }
    return stats;
  }

  @Test
  void aRestoredStageContinuesWithTheSameStateAndTimers() throws Exception {
    List<Rating> ratings = stream();
    float[][] training = DEF.pointInTime(ratings, ratings);
    int half = ratings.size() / 2;
    List<float[]> served = new ArrayList<>();
    OperatorSubtaskState userState;
    OperatorSubtaskState movieState;
    try (Stages s = new Stages()) {
      for (int i = 0; i < half; i++) {
        Rating r = ratings.get(i);
        served.add(s.request(r.userId(), r.movieId(), r.timestamp()));
        s.rating(r);
        if (i % 100 == 99) {
          s.watermark(r.timestamp() - 1);
        }
      }
      userState = s.user.snapshot(1, 1);
      movieState = s.movie.snapshot(1, 1);
    }
    try (Stages s = new Stages(userState, movieState)) {
      assertThat(s.user.numEventTimeTimers()).isPositive();
      for (int i = half; i < ratings.size(); i++) {
        Rating r = ratings.get(i);
        served.add(s.request(r.userId(), r.movieId(), r.timestamp()));
        s.rating(r);
        if (i % 100 == 99) {
          s.watermark(r.timestamp() - 1);
        }
      }
    }
    for (int i = 0; i < ratings.size(); i++) {
      assertThat(served.get(i)).as("row %d", i).containsExactly(training[i]);
    }
  }

  @Test
  void theStateHasAFlinkSerializerNotKryo() {
    assertThat(org.apache.flink.api.common.typeinfo.TypeInformation.of(KeyRatings.class))
        .isInstanceOf(org.apache.flink.api.java.typeutils.PojoTypeInfo.class);
  }
}
