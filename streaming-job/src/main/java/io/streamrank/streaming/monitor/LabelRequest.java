package io.streamrank.streaming.monitor;

import io.streamrank.schemas.Prediction;
import java.util.Objects;

/**
 * What the prequential join needs of a prediction: its event id (the join key), the version and
 * score it was served with, its event time, and the shadow trial's version and score, if any. A
 * Flink POJO, made before the join's shuffle from each prediction the join is to hold ({@link
 * LabelRequests}), so that the shuffle and the join's state (where an unrated prediction waits for
 * the label timeout, and which every checkpoint copies) carry a few fields instead of the whole
 * prediction.
 */
public final class LabelRequest {
  public String eventId;
  public String modelVersion;
  public long eventTime;
  public float score;

  /** The version in a shadow trial that also scored the prediction, or null. */
  public String shadowVersion;

  /** That version's score; NaN without one. */
  public float shadowScore = Float.NaN;

  /**
   * The fraction of predictions held for their ratings when this one was sent ({@link
   * LabelSample}); the join judges ratings by it. 1 when every prediction is held.
   */
  public float sampledFraction = 1f;

  /** For Flink's POJO serializer. */
  public LabelRequest() {}

  /** What the join needs of {@code p}. */
  public static LabelRequest of(Prediction p) {
    LabelRequest r = new LabelRequest();
    r.eventId = p.getEventId();
    r.modelVersion = p.getModelVersion();
    r.eventTime = p.getEventTimestamp();
    r.score = p.getScore();
    if (p.getShadowVersion() != null && p.getShadowScore() != null) {
      r.shadowVersion = p.getShadowVersion();
      r.shadowScore = p.getShadowScore();
    }
    return r;
  }

  public String getEventId() {
    return eventId;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelRequest r
        && Objects.equals(eventId, r.eventId)
        && Objects.equals(modelVersion, r.modelVersion)
        && eventTime == r.eventTime
        && Float.compare(score, r.score) == 0
        && Objects.equals(shadowVersion, r.shadowVersion)
        && Float.compare(shadowScore, r.shadowScore) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(eventId, modelVersion, eventTime, score, shadowVersion, shadowScore);
  }

  @Override
  public String toString() {
    return eventId
        + "["
        + modelVersion
        + " @"
        + eventTime
        + " score "
        + score
        + (shadowVersion == null ? "" : " shadow " + shadowVersion + " " + shadowScore)
        + "]";
  }
}
