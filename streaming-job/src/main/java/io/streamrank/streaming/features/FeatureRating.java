package io.streamrank.streaming.features;

import io.streamrank.schemas.RatingEvent;

/**
 * A rating on its way through the feature state: it passes the movie's statistics first, which set
 * its {@link #residual} against the movie's mean at its time, then the user's. Also a correction of
 * an earlier one's residual ({@link #residualOnly}), when an earlier rating of the movie arrived
 * after it. A Flink POJO.
 */
public final class FeatureRating {
  /** The rating user. */
  public long userId;

  /** The rated movie. */
  public long movieId;

  /** Event time, epoch milliseconds as in {@link RatingEvent}. */
  public long timestamp;

  /** The rating. */
  public float rating;

  /**
   * The rating minus the movie's shrunk mean before it, set by the movie-keyed state; for a
   * correction, the change to the residual of the user's rating at {@link #timestamp}.
   */
  public double residual;

  /** A correction: no rating, only a change of the residual of the rating at this time. */
  public boolean residualOnly;

  /** For Flink's POJO serializer. */
  public FeatureRating() {}

  /** The rating of {@code e}, its residual not yet known. */
  public static FeatureRating of(RatingEvent e) {
    FeatureRating r = new FeatureRating();
    r.userId = e.getUserId();
    r.movieId = e.getMovieId();
    r.timestamp = e.getTimestamp();
    r.rating = e.getRating();
    return r;
  }

  /** A correction of the residual of {@code userId}'s rating of {@code movieId} at {@code t}. */
  static FeatureRating residualChange(long userId, long movieId, long t, double change) {
    FeatureRating r = new FeatureRating();
    r.userId = userId;
    r.movieId = movieId;
    r.timestamp = t;
    r.residual = change;
    r.residualOnly = true;
    return r;
  }

  /** This rating with {@code residual}. */
  FeatureRating withResidual(double residual) {
    FeatureRating r = new FeatureRating();
    r.userId = userId;
    r.movieId = movieId;
    r.timestamp = timestamp;
    r.rating = rating;
    r.residual = residual;
    return r;
  }

  @Override
  public String toString() {
    return "FeatureRating[user "
        + userId
        + ", movie "
        + movieId
        + ", t "
        + timestamp
        + ", rating "
        + rating
        + ", residual "
        + residual
        + (residualOnly ? ", correction" : "")
        + "]";
  }
}
