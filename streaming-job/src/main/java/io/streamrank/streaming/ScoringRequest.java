package io.streamrank.streaming;

import io.streamrank.schemas.Event;

/**
 * An event on its way to the scoring operator, with the streaming features the job attached to it
 * (none when the job runs without features). A Flink POJO: the feature operators fill it in as it
 * passes them, the scoring operator reads it.
 */
public final class ScoringRequest {
  private static final float[] NONE = new float[0];

  /** The event to score. */
  public Event event;

  /**
   * The movie's rating count and sum before the event, set by the movie-keyed feature operator for
   * the user-keyed one, which turns both keys' statistics into {@link #features}.
   */
  public long movieCount;

  /** See {@link #movieCount}. */
  public double movieSum;

  /** The feature values, in {@code StreamingFeatures.NAMES} order; empty without features. */
  public float[] features = NONE;

  /**
   * Added to the model's score: the fold-in correction of the user's residuals against the movie's
   * vector ({@code StreamingFeatures.foldInCorrection}), 0 without a fold-in table.
   */
  public float correction;

  /** For Flink's POJO serializer. */
  public ScoringRequest() {}

  private ScoringRequest(Event event) {
    this.event = event;
  }

  /** A request without features. */
  public static ScoringRequest of(Event event) {
    return new ScoringRequest(event);
  }

  @Override
  public String toString() {
    return "ScoringRequest["
        + event
        + ", features "
        + java.util.Arrays.toString(features)
        + ", correction "
        + correction
        + "]";
  }
}
