package io.streamrank.streaming.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.features.FoldInTable;
import io.streamrank.model.features.RatingStats;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.streaming.ScoringRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
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

  /** A ridge solve over sums added in another order. */
  private static final Offset<Float> FOLD_IN = within(1e-4f);

  /** Hundreds of residuals summed in another order. */
  private static final Offset<Float> MANY = within(1e-5f);

  /** The movie-keyed and the user-keyed stage, chained as in the job. */
  private static final class Stages implements AutoCloseable {
    final KeyedTwoInputStreamOperatorTestHarness<
            Long, ScoringRequest, FeatureRating, ScoringRequest>
        movie;
    final KeyedTwoInputStreamOperatorTestHarness<
            Long, ScoringRequest, FeatureRating, ScoringRequest>
        user;

    /** The fold-in correction of the last {@link #request}. */
    float correction;

    Stages() throws Exception {
      this(null, null, null);
    }

    /** Fresh stages whose user side keeps the fold-in sums of {@code table}. */
    Stages(FoldInTable table) throws Exception {
      this(null, null, table);
    }

    /** Both stages restored from their snapshots (null: fresh). */
    Stages(OperatorSubtaskState userState, OperatorSubtaskState movieState, FoldInTable table)
        throws Exception {
      user =
          stage(
              RatingStatsFunction.Side.USER,
              r -> r.event.getUserId(),
              r -> r.userId,
              userState,
              table);
      movie =
          stage(
              RatingStatsFunction.Side.MOVIE,
              r -> r.event.getMovieId(),
              r -> r.movieId,
              movieState,
              null);
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
            Long, ScoringRequest, FeatureRating, ScoringRequest>
        stage(
            RatingStatsFunction.Side side,
            KeySelector<ScoringRequest, Long> requestKey,
            KeySelector<FeatureRating, Long> ratingKey,
            OperatorSubtaskState restored,
            FoldInTable table)
            throws Exception {
      var h =
          new KeyedTwoInputStreamOperatorTestHarness<>(
              new KeyedCoProcessOperator<>(new RatingStatsFunction(side, DEF, TTL, table)),
              requestKey,
              ratingKey,
              Types.LONG);
      if (restored != null) {
        h.initializeState(restored);
      }
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
      correction = u.get(0).correction;
      return u.get(0).features;
    }

    void processingTime(long t) throws Exception {
      user.setProcessingTime(t);
      movie.setProcessingTime(t);
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
      RatingStats u =
          user(user(RatingStats.EMPTY, 4f, RatingStats.EMPTY, 107), 2f, RatingStats.EMPTY, 157);
      assertThat(s.request(7, 1007, 2_000)).containsExactly(expected(u, movie(4f), 2_000), CLOSE);
      // A rating within the TTL keeps its key: user 7 is rated again half-way.
      s.processingTime(TTL.toMillis() / 2);
      s.rating(new Rating(7, 1007, 1_500, 5f));
      // No rating of any other key for longer than the TTL: every other key is forgotten.
      s.processingTime(TTL.toMillis() + 1);
      assertThat(s.request(8, 1008, 2_001))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY, 2_001));
      assertThat(s.request(7, 1007, 2_001))
          .containsExactly(expected(user(u, 5f, movie(4f), 1_500), movie(4f, 5f), 2_001), CLOSE);
      assertThat(s.user.numKeyedStateEntries()).isOne();
      assertThat(s.movie.numKeyedStateEntries()).isOne();
      // And user 7 too, a TTL after its last rating; no timer is left behind.
      s.watermark(3_000);
      s.processingTime(TTL.toMillis() * 3 / 2 + 1);
      assertThat(s.request(7, 1007, 3_001))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY, 3_001));
      for (var h : List.of(s.user, s.movie)) {
        assertThat(h.numKeyedStateEntries()).isZero();
        assertThat(h.numEventTimeTimers()).isZero();
        assertThat(h.numProcessingTimeTimers()).isZero();
      }
    }
  }

  /**
   * The fold-in correction, too, is the trainer's point-in-time value in every arrival order:
   * ratings far ahead, a movie's ratings out of order (the residual changes carry the movie's
   * vector to the user's sums), and each label after its event.
   */
  @Test
  void servingComputesThePointInTimeFoldInCorrectionInEveryArrivalOrder() throws Exception {
    List<Rating> ratings = stream();
    FoldInTable table = FoldInTable.fit(ratings.subList(0, 1_500), 4, 2f, 5, 3f, 1L);
    double[] expected = DEF.foldInCorrections(ratings, ratings, table);
    assertThat(Arrays.stream(expected).filter(c -> Math.abs(c) > 0.01).count())
        .as("rows with a correction")
        .isGreaterThan(ratings.size() / 3);
    List<Rating> shuffled = new ArrayList<>(ratings);
    java.util.Collections.shuffle(shuffled, new java.util.Random(7));
    for (List<Rating> arrival : List.of(ratings, shuffled)) {
      try (Stages s = new Stages(table)) {
        for (Rating r : arrival) {
          s.rating(r);
        }
        for (int i = 0; i < ratings.size(); i++) {
          Rating r = ratings.get(i);
          s.request(r.userId(), r.movieId(), r.timestamp());
          assertThat(s.correction).as("row %d", i).isCloseTo((float) expected[i], FOLD_IN);
        }
      }
    }
    List<Float> served = new ArrayList<>();
    try (Stages s = new Stages(table)) {
      serveThenLabel(s, ratings, 0, ratings.size(), new ArrayList<>(), served);
    }
    for (int i = 0; i < ratings.size(); i++) {
      assertThat(served.get(i)).as("row %d", i).isCloseTo((float) expected[i], FOLD_IN);
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
      serveThenLabel(s, ratings, 0, ratings.size(), served);
    }
    for (int i = 0; i < ratings.size(); i++) {
      assertThat(served.get(i)).as("row %d", i).containsExactly(training[i], SUM_ORDER);
    }
  }

  /**
   * Rows {@code from} to {@code to} in time order, each scored and then labelled, with a watermark
   * every 100 rows (events are in time order: none later than the row before).
   */
  private static void serveThenLabel(
      Stages s, List<Rating> ratings, int from, int to, List<float[]> served) throws Exception {
    serveThenLabel(s, ratings, from, to, served, new ArrayList<>());
  }

  /** As above, also collecting each request's fold-in correction. */
  private static void serveThenLabel(
      Stages s,
      List<Rating> ratings,
      int from,
      int to,
      List<float[]> served,
      List<Float> corrections)
      throws Exception {
    for (int i = from; i < to; i++) {
      Rating r = ratings.get(i);
      served.add(s.request(r.userId(), r.movieId(), r.timestamp()));
      corrections.add(s.correction);
      s.rating(r);
      if (i % 100 == 99) {
        s.watermark(r.timestamp() - 1);
      }
    }
  }

  @Test
  void manyRatingsAtOneTimeCountOnlyForRequestsAfterThatTime() throws Exception {
    List<Rating> arrived = new ArrayList<>();
    try (Stages s = new Stages()) {
      arrived.add(new Rating(1, 10, 400, 1f));
      for (int i = 0; i < 500; i++) {
        arrived.add(new Rating(1, 10, 500, 1 + i % 5));
      }
      arrived.add(new Rating(1, 10, 600, 2f));
      arrived.add(new Rating(1, 10, 450, 4f)); // out of order, between two pending times
      for (Rating r : arrived) {
        s.rating(r);
      }
      // One slot per distinct time, one fold timer per key.
      assertThat(s.user.numEventTimeTimers()).isOne();
      assertThat(s.movie.numEventTimeTimers()).isOne();
      // A request at exactly a rating's time does not see it (nor the later ones); the residuals
      // of the later ratings were corrected for the one at 450 that arrived after them.
      for (long t : new long[] {400, 450, 500, 501, 600}) {
        assertThat(s.request(1, 10, t)).as("at %d", t).containsExactly(pit(arrived, t), MANY);
      }
      // The watermark folds the slots at or before it, and only those.
      s.watermark(500);
      assertThat(s.request(1, 10, 600)).containsExactly(pit(arrived, 600), MANY);
      assertThat(s.request(1, 10, 601)).containsExactly(pit(arrived, 601), MANY);
      assertThat(s.user.numEventTimeTimers()).isOne(); // moved on to 600
      // At exactly the folded time: late, no history rather than the ratings at 500.
      assertThat(s.request(1, 10, 500))
          .containsExactly(expected(RatingStats.EMPTY, RatingStats.EMPTY, 500));
      s.watermark(600);
      assertThat(s.user.numEventTimeTimers()).isZero();
      assertThat(s.request(1, 10, 601)).containsExactly(pit(arrived, 601), MANY);
    }
  }

  /**
   * The trainer's point-in-time features of user 1 and movie 10 at {@code t} from these ratings.
   */
  private static float[] pit(List<Rating> arrived, long t) {
    return DEF.pointInTime(arrived, List.of(new Rating(1, 10, t, 3f)))[0];
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
            // Counts and means only: a rating behind the movie side's watermark gets its
            // residual against folded statistics that may hold later ratings (documented).
            float[] counts =
                expected(oracle(arrived, user, -1, t), oracle(arrived, -1, movie, t), t);
            assertThat(Arrays.copyOf(s.request(user, movie, t), RESIDUAL_FEATURE))
                .as("request %d at %d", step, t)
                .containsExactly(Arrays.copyOf(counts, RESIDUAL_FEATURE));
          }
        }
      }
    }
  }

  /** Index of the residual feature, after the counts and means. */
  private static final int RESIDUAL_FEATURE = 4;

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
    FoldInTable table = FoldInTable.fit(ratings.subList(0, 1_500), 4, 2f, 5, 3f, 1L);
    double[] corrections = DEF.foldInCorrections(ratings, ratings, table);
    int half = ratings.size() / 2;
    List<float[]> served = new ArrayList<>();
    List<Float> servedCorrections = new ArrayList<>();
    OperatorSubtaskState userState;
    OperatorSubtaskState movieState;
    try (Stages s = new Stages(table)) {
      serveThenLabel(s, ratings, 0, half, served, servedCorrections);
      userState = s.user.snapshot(1, 1);
      movieState = s.movie.snapshot(1, 1);
    }
    try (Stages s = new Stages(userState, movieState, table)) {
      assertThat(s.user.numEventTimeTimers()).isPositive();
      serveThenLabel(s, ratings, half, ratings.size(), served, servedCorrections);
    }
    for (int i = 0; i < ratings.size(); i++) {
      assertThat(served.get(i)).as("row %d", i).containsExactly(training[i], SUM_ORDER);
      assertThat(servedCorrections.get(i))
          .as("row %d", i)
          .isCloseTo((float) corrections[i], FOLD_IN);
    }
  }

  @Test
  void theStateHasAFlinkSerializerNotKryo() {
    assertThat(org.apache.flink.api.common.typeinfo.TypeInformation.of(KeyRatings.class))
        .isInstanceOf(org.apache.flink.api.java.typeutils.PojoTypeInfo.class);
  }
}
