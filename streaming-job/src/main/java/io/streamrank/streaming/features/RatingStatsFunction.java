package io.streamrank.streaming.features;

import io.streamrank.model.features.FoldInTable;
import io.streamrank.model.features.RatingStats;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.streaming.ScoringRequest;
import java.time.Duration;
import java.util.Locale;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keeps the {@link RatingStats} of one side of a request, its user or its movie, in keyed state fed
 * by {@code ratings}, and hands each request the statistics of the ratings with an event time
 * strictly before the request's.
 *
 * <p>Leakage: a rating first waits in the key's pending slots under its event time; it is folded
 * into the key's statistics when the operator's watermark (the lower of the events' and the
 * ratings') reaches it. A request at time t gets the folded statistics plus the pending ratings
 * earlier than t. Whatever order ratings and events arrive in (ratings far ahead of events
 * included), no rating at t or later is counted, because folded ratings are all at or before {@code
 * foldedUntil}: a request later than that sees only earlier folded ratings, and a late request (at
 * or before {@code foldedUntil}, behind the watermark) gets no history at all rather than a leaked
 * one, counted in the {@code lateFeatureRequests} metric.
 *
 * <p>Cost: a key's whole state is one {@link KeyRatings} value, so a request is one state read and
 * a binary search over the pending slots, a rating one read and one write. Each key has at most one
 * event-time timer (at its earliest pending time; when it fires, every slot the watermark has
 * passed is folded and the timer moves to the next pending time) and one processing-time timer (its
 * expiry), not one timer per rating.
 *
 * <p>Bound: a key's state is dropped when no rating of it has arrived for the configured TTL
 * (processing time), by the key's expiry timer rather than by Flink's state TTL, whose incremental
 * cleanup on every state access dominated the operator's cost; the pending slots hold only ratings
 * the watermark has not yet passed.
 *
 * <p>The movie side runs first: it stores the movie's statistics in the request, and sends each
 * rating on to the user side ({@link #RESIDUALS}) with its residual against the movie's statistics
 * before it ({@link StreamingFeatures#residual}), which the user side sums. The user side turns
 * both keys' statistics into the feature values with the shared {@link StreamingFeatures}
 * definition. Ratings of a movie may arrive out of event-time order (from different partitions):
 * when one arrives that is earlier than pending ones, the movie side sends each pending later
 * rating's user the change of that rating's residual ({@link FeatureRating#residualOnly}), so once
 * a movie's ratings have all arrived every residual is the trainer's point-in-time one. A rating
 * behind what the movie side has folded already (at or before {@code foldedUntil}) gets its
 * residual against the folded statistics, which may hold ratings later than it, and folded ratings
 * get no correction: late ratings are the one place where serving can differ from training.
 *
 * <p>With a {@link FoldInTable}, the user side also keeps the user's fold-in sums (each rating's
 * and each residual change's with the rated movie's vector from the table) and sets each request's
 * {@link ScoringRequest#correction} ({@link StreamingFeatures#foldInCorrection}).
 */
public final class RatingStatsFunction
    extends KeyedCoProcessFunction<Long, ScoringRequest, FeatureRating, ScoringRequest> {
  private static final long serialVersionUID = 1L;

  /** The movie side's ratings with their residuals, for the user side. */
  public static final OutputTag<FeatureRating> RESIDUALS =
      new OutputTag<>("feature-rating-residuals", TypeInformation.of(FeatureRating.class));

  /** Which key of a request this instance keeps statistics for. */
  public enum Side {
    /** Keyed by user id, runs second and computes the features. */
    USER,
    /** Keyed by movie id, runs first and gives each rating its residual. */
    MOVIE
  }

  private final Side side;
  private final StreamingFeatures definition;
  private final long ttlMillis;
  private final FoldInTable foldIn;

  private transient ValueState<KeyRatings> state;
  private transient Counter lateRequests;

  /**
   * @param side the key this instance keeps
   * @param definition the feature definition
   * @param stateTtl how long a key's state lives after its last rating
   */
  public RatingStatsFunction(Side side, StreamingFeatures definition, Duration stateTtl) {
    this(side, definition, stateTtl, null);
  }

  /**
   * @param side the key this instance keeps
   * @param definition the feature definition
   * @param stateTtl how long a key's state lives after its last rating
   * @param foldIn the movie vectors of the fold-in correction (user side), or null for none
   */
  public RatingStatsFunction(
      Side side, StreamingFeatures definition, Duration stateTtl, FoldInTable foldIn) {
    if (foldIn != null && side != Side.USER) {
      throw new IllegalArgumentException("the fold-in correction is kept on the user side only");
    }
    this.side = side;
    this.definition = definition;
    this.ttlMillis = stateTtl.toMillis();
    this.foldIn = foldIn;
  }

  @Override
  public void open(OpenContext ctx) throws Exception {
    String prefix = side.name().toLowerCase(Locale.ROOT);
    state =
        getRuntimeContext()
            .getState(
                new ValueStateDescriptor<>(
                    prefix + "-ratings", TypeInformation.of(KeyRatings.class)));
    lateRequests = getRuntimeContext().getMetricGroup().counter("lateFeatureRequests");
  }

  @Override
  public void processElement1(ScoringRequest request, Context ctx, Collector<ScoringRequest> out)
      throws Exception {
    RatingStats stats = before(request.event.getTimestamp());
    if (side == Side.MOVIE) {
      request.movieCount = stats.count();
      request.movieSum = stats.sum();
    } else {
      float[] f = new float[StreamingFeatures.COUNT];
      definition.compute(
          stats,
          new RatingStats(request.movieCount, request.movieSum),
          seconds(request.event.getTimestamp()),
          f,
          0);
      request.features = f;
      if (foldIn != null) {
        request.correction =
            (float)
                definition.foldInCorrection(
                    stats,
                    foldIn.vector(request.event.getMovieId()),
                    foldIn.ridge(),
                    seconds(request.event.getTimestamp()));
      }
    }
    out.collect(request);
  }

  /** The statistics of the ratings strictly before {@code t} that have arrived. */
  private RatingStats before(long t) throws Exception {
    KeyRatings key = state.value();
    if (key == null) {
      return RatingStats.EMPTY;
    }
    if (key.lateFor(t)) {
      // Late: the folded statistics may hold ratings at or after t; give no history instead.
      lateRequests.inc();
      return RatingStats.EMPTY;
    }
    return key.before(t);
  }

  @Override
  public void processElement2(FeatureRating rating, Context ctx, Collector<ScoringRequest> out)
      throws Exception {
    KeyRatings key = state.value();
    if (key == null) {
      key = new KeyRatings();
    }
    long t = rating.timestamp;
    RatingStats one;
    long rater = KeyRatings.NONE;
    if (side == Side.MOVIE) {
      double residual = definition.residual(rating.rating, key.before(t));
      ctx.output(RESIDUALS, rating.withResidual(residual));
      correctLaterPending(key, rating, ctx);
      one = RatingStats.EMPTY.plus(rating.rating); // a movie keeps no residuals
      rater = rating.userId;
    } else {
      float[] q = foldIn == null ? null : foldIn.vector(rating.movieId);
      one =
          rating.residualOnly
              ? definition.residualChange(rating.residual, seconds(t), q)
              : definition.rating(rating.rating, rating.residual, seconds(t), q);
    }
    key.add(t, one, rater, definition);
    TimerService timers = ctx.timerService();
    key.lastRatingAt = timers.currentProcessingTime();
    if (key.expiryTimer == KeyRatings.NONE) {
      key.expiryTimer = expiryAfter(key.lastRatingAt);
      timers.registerProcessingTimeTimer(key.expiryTimer);
    }
    moveFoldTimer(key, timers);
    state.update(key);
  }

  /**
   * The movie's pending ratings later than {@code rating} got their residuals without it: sends
   * each one's user the change.
   */
  private void correctLaterPending(KeyRatings key, FeatureRating rating, Context ctx) {
    RatingStats added = RatingStats.EMPTY.plus(rating.rating);
    for (int i = key.firstAfter(rating.timestamp); i < key.pendingSize; i++) {
      RatingStats before = key.beforeSlot(i);
      double change =
          definition.residual(0f, definition.merge(before, added))
              - definition.residual(0f, before);
      for (long user : key.pendingRaters[i]) {
        ctx.output(
            RESIDUALS,
            FeatureRating.residualChange(user, rating.movieId, key.pendingTimes[i], change));
      }
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ScoringRequest> out)
      throws Exception {
    KeyRatings key = state.value();
    if (key == null) {
      return;
    }
    TimerService timers = ctx.timerService();
    if (ctx.timeDomain() == TimeDomain.EVENT_TIME) {
      // The watermark passed the earliest pending ratings: later requests are all after them.
      key.foldTimer = KeyRatings.NONE;
      key.foldThrough(Math.max(timestamp, timers.currentWatermark()));
      moveFoldTimer(key, timers);
      state.update(key);
    } else if (timestamp >= expiryAfter(key.lastRatingAt)) {
      // No rating of this key for the whole TTL: forget it.
      if (key.foldTimer != KeyRatings.NONE) {
        timers.deleteEventTimeTimer(key.foldTimer);
      }
      state.clear();
    } else {
      key.expiryTimer = expiryAfter(key.lastRatingAt);
      timers.registerProcessingTimeTimer(key.expiryTimer);
      state.update(key);
    }
  }

  /** Keeps the key's one event-time timer at its earliest pending time. */
  private static void moveFoldTimer(KeyRatings key, TimerService timers) {
    long due = key.earliestPending();
    if (due == key.foldTimer) {
      return;
    }
    if (key.foldTimer != KeyRatings.NONE) {
      timers.deleteEventTimeTimer(key.foldTimer);
    }
    if (due != KeyRatings.NONE) {
      timers.registerEventTimeTimer(due);
    }
    key.foldTimer = due;
  }

  /** The definition's time: epoch seconds, from the stream's epoch milliseconds. */
  private static double seconds(long epochMillis) {
    return epochMillis / 1000.0;
  }

  private long expiryAfter(long lastRatingAt) {
    return lastRatingAt > Long.MAX_VALUE - ttlMillis ? Long.MAX_VALUE : lastRatingAt + ttlMillis;
  }
}
