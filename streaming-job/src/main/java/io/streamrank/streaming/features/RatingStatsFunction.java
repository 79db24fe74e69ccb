package io.streamrank.streaming.features;

import io.streamrank.model.features.RatingStats;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.streaming.ScoringRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keeps the {@link RatingStats} of one side of a request, its user or its movie, in keyed state fed
 * by {@code ratings}, and hands each request the statistics of the ratings with an event time
 * strictly before the request's.
 *
 * <p>Leakage: a rating is first buffered under its event time ({@code pending}); it is folded into
 * the key's statistics when the operator's watermark (the lower of the events' and the ratings')
 * reaches it. A request at time t gets the folded statistics plus the pending ratings earlier than
 * t. Whatever order ratings and events arrive in (ratings far ahead of events included), no rating
 * at t or later is counted, because folded ratings are all at or before {@code foldedUntil}: a
 * request later than that sees only earlier folded ratings, and a late request (at or before {@code
 * foldedUntil}, behind the watermark) gets no history at all rather than a leaked one, counted in
 * the {@code lateFeatureRequests} metric.
 *
 * <p>Bound: all three states expire when no rating of the key has arrived for the configured TTL
 * (processing time), so a key that stops being rated is forgotten; the pending buffer holds only
 * ratings the watermark has not yet passed.
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
  private final Duration stateTtl;

  private transient ValueState<RatingStats> folded;
  private transient ValueState<Long> foldedUntil;
  private transient MapState<Long, RatingStats> pending;
  private transient MapState<Long, List<Long>> pendingRaters;
  private transient Counter lateRequests;

  /**
   * @param side the key this instance keeps
   * @param definition the feature definition
   * @param stateTtl how long a key's state lives after its last rating
   */
  public RatingStatsFunction(Side side, StreamingFeatures definition, Duration stateTtl) {
    this.side = side;
    this.definition = definition;
    this.stateTtl = stateTtl;
  }

  @Override
  public void open(OpenContext ctx) throws Exception {
    StateTtlConfig ttl =
        StateTtlConfig.newBuilder(stateTtl)
            .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
            .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
            .build();
    TypeInformation<RatingStats> statsType = TypeInformation.of(RatingStats.class);
    String prefix = side.name().toLowerCase(java.util.Locale.ROOT);
    ValueStateDescriptor<RatingStats> foldedDesc =
        new ValueStateDescriptor<>(prefix + "-stats", statsType);
    foldedDesc.enableTimeToLive(ttl);
    ValueStateDescriptor<Long> untilDesc =
        new ValueStateDescriptor<>(prefix + "-folded-until", Types.LONG);
    untilDesc.enableTimeToLive(ttl);
    MapStateDescriptor<Long, RatingStats> pendingDesc =
        new MapStateDescriptor<>(prefix + "-pending", Types.LONG, statsType);
    pendingDesc.enableTimeToLive(ttl);
    folded = getRuntimeContext().getState(foldedDesc);
    foldedUntil = getRuntimeContext().getState(untilDesc);
    pending = getRuntimeContext().getMapState(pendingDesc);
    if (side == Side.MOVIE) {
      MapStateDescriptor<Long, List<Long>> ratersDesc =
          new MapStateDescriptor<>(prefix + "-pending-raters", Types.LONG, Types.LIST(Types.LONG));
      ratersDesc.enableTimeToLive(ttl);
      pendingRaters = getRuntimeContext().getMapState(ratersDesc);
    }
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
    }
    out.collect(request);
  }

  /** The statistics of the ratings strictly before {@code t} that have arrived. */
  private RatingStats before(long t) throws Exception {
    Long until = foldedUntil.value();
    if (until != null && until >= t) {
      // Late: the folded statistics may hold ratings at or after t; give no history instead.
      lateRequests.inc();
      return RatingStats.EMPTY;
    }
    return foldedAndPendingBefore(t);
  }

  /** The folded statistics and the pending ones strictly before {@code t}. */
  private RatingStats foldedAndPendingBefore(long t) throws Exception {
    RatingStats stats = folded.value();
    if (stats == null) {
      stats = RatingStats.EMPTY;
    }
    for (Map.Entry<Long, RatingStats> e : pending.entries()) {
      if (e.getKey() < t) {
        stats = definition.merge(stats, e.getValue());
      }
    }
    return stats;
  }

  @Override
  public void processElement2(FeatureRating rating, Context ctx, Collector<ScoringRequest> out)
      throws Exception {
    long t = rating.timestamp;
    RatingStats one;
    if (side == Side.MOVIE) {
      double residual = definition.residual(rating.rating, foldedAndPendingBefore(t));
      ctx.output(RESIDUALS, rating.withResidual(residual));
      correctLaterPending(rating, ctx);
      one = RatingStats.EMPTY.plus(rating.rating); // a movie keeps no residuals
    } else {
      one =
          rating.residualOnly
              ? definition.residualChange(rating.residual, seconds(t))
              : definition.rating(rating.rating, rating.residual, seconds(t));
    }
    Long until = foldedUntil.value();
    if (until != null && t <= until) {
      // Behind what is folded already: every request still to come in time is later than it.
      folded.update(definition.merge(orEmpty(folded.value()), one));
      foldedUntil.update(until); // written with the statistics, so both expire together
      return;
    }
    pending.put(t, definition.merge(orEmpty(pending.get(t)), one));
    if (side == Side.MOVIE) {
      List<Long> raters = pendingRaters.get(t);
      raters = raters == null ? new ArrayList<>() : new ArrayList<>(raters);
      raters.add(rating.userId);
      pendingRaters.put(t, raters);
    }
    ctx.timerService().registerEventTimeTimer(t);
  }

  /**
   * The movie's pending ratings later than {@code rating} got their residuals without it: sends
   * each one's user the change.
   */
  private void correctLaterPending(FeatureRating rating, Context ctx) throws Exception {
    TreeMap<Long, RatingStats> byTime = new TreeMap<>();
    for (Map.Entry<Long, RatingStats> e : pending.entries()) {
      byTime.put(e.getKey(), e.getValue());
    }
    if (byTime.isEmpty() || byTime.lastKey() <= rating.timestamp) {
      return;
    }
    RatingStats added = RatingStats.EMPTY.plus(rating.rating);
    RatingStats before = orEmpty(folded.value()); // the movie's statistics before each time
    for (Map.Entry<Long, RatingStats> e : byTime.entrySet()) {
      if (e.getKey() > rating.timestamp) {
        double change =
            definition.residual(0f, definition.merge(before, added))
                - definition.residual(0f, before);
        List<Long> raters = pendingRaters.get(e.getKey());
        for (long user : raters == null ? List.<Long>of() : raters) {
          ctx.output(
              RESIDUALS, FeatureRating.residualChange(user, rating.movieId, e.getKey(), change));
        }
      }
      before = definition.merge(before, e.getValue());
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ScoringRequest> out)
      throws Exception {
    // The watermark passed the ratings at this time: later requests are all after them.
    RatingStats due = pending.get(timestamp);
    if (due == null) {
      return; // expired with the key's state
    }
    pending.remove(timestamp);
    if (side == Side.MOVIE) {
      pendingRaters.remove(timestamp);
    }
    folded.update(definition.merge(orEmpty(folded.value()), due));
    Long until = foldedUntil.value();
    foldedUntil.update(until == null ? timestamp : Math.max(until, timestamp));
  }

  /** The definition's time: epoch seconds, from the stream's epoch milliseconds. */
  private static double seconds(long epochMillis) {
    return epochMillis / 1000.0;
  }

  private static RatingStats orEmpty(RatingStats s) {
    return s == null ? RatingStats.EMPTY : s;
  }
}
