package io.streamrank.streaming.monitor;

import io.streamrank.schemas.RatingEvent;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins predictions with their ratings by event id (the key) for prequential error. A prediction
 * arrives as its {@link LabelRequest}: only what an outcome needs waits in state.
 *
 * <p>Whichever side comes first waits in keyed state, with an event-time timer at its event time
 * plus the label timeout. When the other side arrives the pair goes out as {@link
 * LabelOutcome.Kind#MATCHED} and the state and timer are removed; when the timer fires first the
 * waiting side goes out as {@link LabelOutcome.Kind#UNLABELLED} or {@link
 * LabelOutcome.Kind#UNMATCHED_RATING}. So the state holds only records younger than the timeout
 * behind the watermark; a processing-time TTL on the state bounds what a checkpoint holds (and so
 * what survives a restore) even if watermarks stall. An outcome's event time is when it became
 * known: the later of the two event times for a match, the timer's time for an expiry.
 *
 * <p>What waits is bounded by the label capacity: above the rate at which it fills within the
 * timeout, {@link LabelRequests} sends the join only a uniform sample of predictions by event id
 * ({@link LabelSample}), each carrying its fraction. A rating that finds no prediction, and whose
 * event is outside the sample at the last fraction the join saw, goes out at once as {@link
 * LabelOutcome.Kind#UNSAMPLED_RATING}: it still counts in the rating distribution, and nothing
 * waits for a partner that was not kept.
 */
public final class PrequentialJoin
    extends KeyedCoProcessFunction<String, LabelRequest, RatingEvent, LabelOutcome> {
  private static final long serialVersionUID = 1L;

  private final long labelTimeoutMs;
  private final Duration stateTtl;

  private transient ValueState<LabelRequest> prediction;
  private transient ValueState<RatingEvent> rating;
  private transient Counter matched;
  private transient Counter unlabelled;
  private transient Counter unmatchedRatings;
  private transient Counter duplicates;
  private transient Counter unsampledRatings;
  private transient float sampledFraction;
  private transient String lastVersion;

  /**
   * @param labelTimeoutMs event time a prediction waits for its rating (and a rating for its
   *     prediction) before it is counted as unmatched
   * @param stateTtl processing-time bound on waiting state, a backstop for stalled watermarks
   */
  public PrequentialJoin(long labelTimeoutMs, Duration stateTtl) {
    if (labelTimeoutMs <= 0) {
      throw new IllegalArgumentException("label timeout must be > 0 ms, got " + labelTimeoutMs);
    }
    if (stateTtl.isNegative() || stateTtl.isZero()) {
      throw new IllegalArgumentException("label state TTL must be positive, got " + stateTtl);
    }
    this.labelTimeoutMs = labelTimeoutMs;
    this.stateTtl = stateTtl;
  }

  @Override
  public void open(OpenContext openContext) {
    // The timers clear every key in normal operation; the TTL is only a backstop for stalled
    // watermarks. Expired entries are dropped from full snapshots (so checkpoints stay bounded
    // and a restore sheds them) and never read back, but not swept on every state access: heap
    // incremental cleanup did that, over a state with one key per prediction, at about twice the
    // join's own cost per pair.
    StateTtlConfig ttl =
        StateTtlConfig.newBuilder(stateTtl)
            .disableCleanupInBackground()
            .cleanupFullSnapshot()
            .build();
    // Not "prediction": that state held whole predictions, whose serializer this one cannot read.
    ValueStateDescriptor<LabelRequest> p =
        new ValueStateDescriptor<>("label-request", Types.POJO(LabelRequest.class));
    p.enableTimeToLive(ttl);
    ValueStateDescriptor<RatingEvent> r =
        new ValueStateDescriptor<>("rating", new AvroTypeInfo<>(RatingEvent.class));
    r.enableTimeToLive(ttl);
    prediction = getRuntimeContext().getState(p);
    rating = getRuntimeContext().getState(r);
    var group = getRuntimeContext().getMetricGroup().addGroup("monitor", "labels");
    matched = group.counter("matched");
    unlabelled = group.counter("unlabelledPredictions");
    unmatchedRatings = group.counter("unmatchedRatings");
    duplicates = group.counter("duplicates");
    unsampledRatings = group.counter("unsampledRatings");
    sampledFraction = 1f;
  }

  @Override
  public void processElement1(LabelRequest p, Context ctx, Collector<LabelOutcome> out)
      throws Exception {
    sampledFraction = p.sampledFraction;
    RatingEvent r = rating.value();
    if (r != null) {
      ctx.timerService().deleteEventTimeTimer(r.getTimestamp() + labelTimeoutMs);
      rating.clear();
      emitMatch(p, r, out);
    } else if (prediction.value() != null) {
      duplicates.inc();
    } else {
      // Every request read from the shuffle has its own copy of the version; waiting ones share
      // one.
      if (p.modelVersion.equals(lastVersion)) {
        p.modelVersion = lastVersion;
      } else {
        lastVersion = p.modelVersion;
      }
      prediction.update(p);
      ctx.timerService().registerEventTimeTimer(p.eventTime + labelTimeoutMs);
    }
  }

  @Override
  public void processElement2(RatingEvent r, Context ctx, Collector<LabelOutcome> out)
      throws Exception {
    LabelRequest p = prediction.value();
    if (p != null) {
      ctx.timerService().deleteEventTimeTimer(p.eventTime + labelTimeoutMs);
      prediction.clear();
      emitMatch(p, r, out);
    } else if (rating.value() != null) {
      duplicates.inc();
    } else if (!LabelSample.contains(r.getEventId(), sampledFraction)) {
      unsampledRatings.inc();
      out.collect(LabelOutcome.unsampledRating(r.getTimestamp(), r.getRating()));
    } else {
      rating.update(r);
      ctx.timerService().registerEventTimeTimer(r.getTimestamp() + labelTimeoutMs);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<LabelOutcome> out)
      throws Exception {
    LabelRequest p = prediction.value();
    if (p != null) {
      unlabelled.inc();
      out.collect(LabelOutcome.unlabelled(p.modelVersion, timestamp, p.score));
      prediction.clear();
    }
    RatingEvent r = rating.value();
    if (r != null) {
      unmatchedRatings.inc();
      out.collect(LabelOutcome.unmatchedRating(timestamp, r.getRating()));
      rating.clear();
    }
  }

  private void emitMatch(LabelRequest p, RatingEvent r, Collector<LabelOutcome> out) {
    matched.inc();
    LabelOutcome o =
        LabelOutcome.matched(
            p.modelVersion, Math.max(p.eventTime, r.getTimestamp()), p.score, r.getRating());
    if (p.shadowVersion != null) {
      o.withShadow(p.shadowVersion, p.shadowScore);
    }
    out.collect(o);
  }
}
