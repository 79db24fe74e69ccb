package io.streamrank.streaming.features;

import io.streamrank.schemas.Event;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.streaming.ScoringRequest;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The feature half of the scoring job: events and ratings get event-time watermarks, then both are
 * keyed by movie (movie statistics; each rating gets its residual against the movie's mean), then
 * by user (user statistics and residuals, feature values). Each stage is a {@link
 * RatingStatsFunction}, so the keyed state scales with the job's parallelism like any other keyed
 * state.
 */
public final class FeatureGraph {
  /** The type of the requests it emits. */
  public static final TypeInformation<ScoringRequest> REQUEST_TYPE =
      TypeInformation.of(ScoringRequest.class);

  private static final TypeInformation<FeatureRating> RATING_TYPE =
      TypeInformation.of(FeatureRating.class);

  private FeatureGraph() {}

  /** Requests with the streaming features of {@code settings} attached. */
  public static DataStream<ScoringRequest> attach(
      DataStream<Event> events, DataStream<RatingEvent> ratings, FeatureSettings settings) {
    DataStream<ScoringRequest> requests =
        events
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<Event>forBoundedOutOfOrderness(settings.maxOutOfOrderness())
                    .withTimestampAssigner((e, ts) -> e.getTimestamp())
                    .withIdleness(settings.idleTimeout()))
            .uid("feature-events-watermarks")
            .name("feature events watermarks")
            .map(ScoringRequest::of, REQUEST_TYPE)
            .uid("feature-requests")
            .name("requests");
    DataStream<FeatureRating> timedRatings =
        ratings
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<RatingEvent>forBoundedOutOfOrderness(
                        settings.maxOutOfOrderness())
                    .withTimestampAssigner((r, ts) -> r.getTimestamp())
                    .withIdleness(settings.idleTimeout()))
            .uid("feature-ratings-watermarks")
            .name("feature ratings watermarks")
            .map(FeatureRating::of, RATING_TYPE)
            .uid("feature-ratings")
            .name("feature ratings");
    SingleOutputStreamOperator<ScoringRequest> withMovie =
        requests
            .keyBy(r -> r.event.getMovieId(), Types.LONG)
            .connect(timedRatings.keyBy(r -> r.movieId, Types.LONG))
            .process(
                new RatingStatsFunction(
                    RatingStatsFunction.Side.MOVIE, settings.definition(), settings.stateTtl()),
                REQUEST_TYPE)
            .uid("movie-feature-state")
            .name("movie feature state");
    // The user side sums each rating's residual against the movie's mean at its time.
    DataStream<FeatureRating> residuals = withMovie.getSideOutput(RatingStatsFunction.RESIDUALS);
    return withMovie
        .keyBy(r -> r.event.getUserId(), Types.LONG)
        .connect(residuals.keyBy(r -> r.userId, Types.LONG))
        .process(
            new RatingStatsFunction(
                RatingStatsFunction.Side.USER,
                settings.definition(),
                settings.stateTtl(),
                settings.foldIn()),
            REQUEST_TYPE)
        .uid("user-feature-state")
        .name("user feature state");
  }
}
