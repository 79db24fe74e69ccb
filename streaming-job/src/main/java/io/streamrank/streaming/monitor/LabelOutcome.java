package io.streamrank.streaming.monitor;

import java.util.Objects;

/**
 * What became of a prediction or a rating in the prequential join: a prediction met its rating, a
 * prediction was never rated in time, or a rating never met a prediction. A Flink POJO.
 */
public final class LabelOutcome {
  /** The four outcomes. */
  public enum Kind {
    /** A prediction and its rating met. */
    MATCHED,
    /** A prediction whose rating did not arrive within the label timeout. */
    UNLABELLED,
    /** A rating whose prediction did not arrive within the label timeout. */
    UNMATCHED_RATING,
    /**
     * A rating whose prediction the join did not hold: above its label capacity the join holds a
     * sample of predictions, and this rating's event is outside it.
     */
    UNSAMPLED_RATING
  }

  /** Model version of outcomes without a prediction; no bundle may carry it. */
  public static final String NO_VERSION =
      io.streamrank.model.registry.ModelRegistry.UNMATCHED_VERSION;

  public Kind kind;
  public String modelVersion;
  public long eventTime;
  public float score;
  public float rating;

  /** The version in a shadow trial that also scored the prediction, or null. */
  public String shadowVersion;

  /** That version's score; NaN without one. */
  public float shadowScore = Float.NaN;

  /** For Flink's POJO serializer. */
  public LabelOutcome() {}

  public LabelOutcome(Kind kind, String modelVersion, long eventTime, float score, float rating) {
    this.kind = kind;
    this.modelVersion = modelVersion;
    this.eventTime = eventTime;
    this.score = score;
    this.rating = rating;
  }

  /** A prediction that met its rating. */
  public static LabelOutcome matched(String version, long eventTime, float score, float rating) {
    return new LabelOutcome(Kind.MATCHED, version, eventTime, score, rating);
  }

  /** A prediction that was never rated in time. */
  public static LabelOutcome unlabelled(String version, long eventTime, float score) {
    return new LabelOutcome(Kind.UNLABELLED, version, eventTime, score, Float.NaN);
  }

  /** A rating that never met its prediction. */
  public static LabelOutcome unmatchedRating(long eventTime, float rating) {
    return new LabelOutcome(Kind.UNMATCHED_RATING, NO_VERSION, eventTime, Float.NaN, rating);
  }

  /** A rating whose prediction was outside the join's sample. */
  public static LabelOutcome unsampledRating(long eventTime, float rating) {
    return new LabelOutcome(Kind.UNSAMPLED_RATING, NO_VERSION, eventTime, Float.NaN, rating);
  }

  /** This outcome with the prediction's shadow score, when it carried one (null is none). */
  public LabelOutcome withShadow(String version, Float score) {
    if (version != null && score != null) {
      shadowVersion = version;
      shadowScore = score;
    }
    return this;
  }

  public String getModelVersion() {
    return modelVersion;
  }

  public String getShadowVersion() {
    return shadowVersion;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelOutcome l
        && kind == l.kind
        && Objects.equals(modelVersion, l.modelVersion)
        && eventTime == l.eventTime
        && Float.compare(score, l.score) == 0
        && Float.compare(rating, l.rating) == 0
        && Objects.equals(shadowVersion, l.shadowVersion)
        && Float.compare(shadowScore, l.shadowScore) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, modelVersion, eventTime, score, rating, shadowVersion, shadowScore);
  }

  @Override
  public String toString() {
    return kind
        + "["
        + modelVersion
        + " @"
        + eventTime
        + " score "
        + score
        + " rating "
        + rating
        + (shadowVersion == null ? "" : " shadow " + shadowVersion + " " + shadowScore)
        + "]";
  }
}
