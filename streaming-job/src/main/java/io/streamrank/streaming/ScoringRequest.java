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
   * The user's rating count and sum before the event, set by the user-keyed feature operator for
   * the movie-keyed one, which turns both keys' statistics into {@link #features}.
   */
  public long userCount;

  /** See {@link #userCount}. */
  public double userSum;

  /** The feature values, in {@code StreamingFeatures.NAMES} order; empty without features. */
  public float[] features = NONE;

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
    return "ScoringRequest[" + event + ", features " + java.util.Arrays.toString(features) + "]";
  }
}
