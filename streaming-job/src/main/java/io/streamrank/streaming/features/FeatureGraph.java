package io.streamrank.streaming.features;

import io.streamrank.schemas.Event;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.streaming.ScoringRequest;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * The feature half of the scoring job: events and ratings get event-time watermarks, then both are
 * keyed by user (user statistics), then by movie (movie statistics, feature values). Each stage is
 * a {@link RatingStatsFunction}, so the keyed state scales with the job's parallelism like any
 * other keyed state.
 */
public final class FeatureGraph {
  /** The type of the requests it emits. */
  public static final TypeInformation<ScoringRequest> REQUEST_TYPE =
      TypeInformation.of(ScoringRequest.class);

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
    DataStream<RatingEvent> timedRatings =
        ratings
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<RatingEvent>forBoundedOutOfOrderness(
                        settings.maxOutOfOrderness())
                    .withTimestampAssigner((r, ts) -> r.getTimestamp())
                    .withIdleness(settings.idleTimeout()))
            .uid("feature-ratings-watermarks")
            .name("feature ratings watermarks");
    DataStream<ScoringRequest> withUser =
        requests
            .keyBy(r -> r.event.getUserId(), Types.LONG)
            .connect(timedRatings.keyBy(RatingEvent::getUserId, Types.LONG))
            .process(
                new RatingStatsFunction(
                    RatingStatsFunction.Side.USER, settings.definition(), settings.stateTtl()),
                REQUEST_TYPE)
            .uid("user-feature-state")
            .name("user feature state");
    return withUser
        .keyBy(r -> r.event.getMovieId(), Types.LONG)
        .connect(timedRatings.keyBy(RatingEvent::getMovieId, Types.LONG))
        .process(
            new RatingStatsFunction(
                RatingStatsFunction.Side.MOVIE, settings.definition(), settings.stateTtl()),
            REQUEST_TYPE)
        .uid("movie-feature-state")
        .name("movie feature state");
  }
}
