package io.streamrank.streaming.features;

import io.streamrank.model.features.RatingStats;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.schemas.RatingEvent;
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
 * <p>The user side stores its statistics in the request; the movie side, which runs second, turns
 * both into the feature values with the shared {@link StreamingFeatures} definition.
 */
public final class RatingStatsFunction
    extends KeyedCoProcessFunction<Long, ScoringRequest, RatingEvent, ScoringRequest> {
  private static final long serialVersionUID = 1L;

  /** Which key of a request this instance keeps statistics for. */
  public enum Side {
    /** Keyed by user id, runs first. */
    USER,
    /** Keyed by movie id, runs second and computes the features. */
    MOVIE
  }

  private final Side side;
  private final StreamingFeatures definition;
  private final long ttlMillis;

  private transient ValueState<KeyRatings> state;
  private transient Counter lateRequests;

  /**
   * @param side the key this instance keeps
   * @param definition the feature definition (used on the movie side)
   * @param stateTtl how long a key's state lives after its last rating
   */
  public RatingStatsFunction(Side side, StreamingFeatures definition, Duration stateTtl) {
    this.side = side;
    this.definition = definition;
    this.ttlMillis = stateTtl.toMillis();
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
    if (side == Side.USER) {
      request.userCount = stats.count();
      request.userSum = stats.sum();
    } else {
      float[] f = new float[StreamingFeatures.COUNT];
      definition.compute(new RatingStats(request.userCount, request.userSum), stats, f, 0);
      request.features = f;
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
  public void processElement2(RatingEvent rating, Context ctx, Collector<ScoringRequest> out)
      throws Exception {
    KeyRatings key = state.value();
    if (key == null) {
      key = new KeyRatings();
    }
    key.add(rating.getTimestamp(), RatingStats.EMPTY.plus(rating.getRating()));
    TimerService timers = ctx.timerService();
    key.lastRatingAt = timers.currentProcessingTime();
    if (key.expiryTimer == KeyRatings.NONE) {
      key.expiryTimer = expiryAfter(key.lastRatingAt);
      timers.registerProcessingTimeTimer(key.expiryTimer);
    }
    moveFoldTimer(key, timers);
    state.update(key);
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

  private long expiryAfter(long lastRatingAt) {
    return lastRatingAt > Long.MAX_VALUE - ttlMillis ? Long.MAX_VALUE : lastRatingAt + ttlMillis;
  }
}
